/**
 * Messages between VectorEnv (main thread) and its workers (worker.ts). One request at a time per worker;
 * each reply carries the request's id. Observation buffers travel in the transfer list (moved, not copied).
 */
import { Av1GymError, type ErrorCode, EpisodeEndedError, InvalidArgumentError, StateError, errorFromCode } from "../../core/errors";
import type { EnvOptions, Observation, ResetInfo } from "../env";
import type { AutoresetStepInfo } from "./autoreset";
import type { SpacesInfo } from "./batch";

export type Request =
  | { id: number; type: "init"; options: EnvOptions; cpu: number | null }
  | { id: number; type: "reset"; seed?: number; options?: { start?: number; maxFrames?: number } }
  | { id: number; type: "step"; action: Int8Array }
  | { id: number; type: "close" };

export type Reply =
  | { id: number; type: "init"; spaces: SpacesInfo }
  | { id: number; type: "reset"; obs: Observation; info: ResetInfo }
  | {
      id: number;
      type: "step";
      obs: Observation;
      reward: number;
      terminated: boolean;
      truncated: boolean;
      info: AutoresetStepInfo;
    }
  | { id: number; type: "close" }
  | { id: number; type: "error"; error: SerializedError };

export interface SerializedError {
  name: string;
  code?: ErrorCode;
  message: string;
}

export function serializeError(e: unknown): SerializedError {
  if (e instanceof Av1GymError) return { name: e.name, code: e.code, message: e.message };
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: "Error", message: String(e) };
}

/** Rebuilds the typed error a worker reported (same class for the codes callers branch on). */
export function deserializeError(s: SerializedError, where: string): Error {
  const msg = `${where}: ${s.message}`;
  switch (s.code) {
    case "INVALID_ARGUMENT":
      return new InvalidArgumentError(msg);
    case "END_OF_EPISODE":
      return new EpisodeEndedError(msg);
    case "STATE":
      return new StateError(msg);
    case undefined:
      return new Error(msg);
    default: {
      const codes: Record<string, number> = { IO: -2, FORMAT: -3, RANGE: -4, ENCODER: -5, NO_MEMORY: -6, CALLBACK: -7 };
      if (s.code in codes) return errorFromCode(codes[s.code]!, msg);
      return new Av1GymError(s.code, msg);
    }
  }
}
