/**
 * SyncVectorEnv: N environments in this thread, stepped one after another and returned as one batch, with
 * the same spaces, action forms, seeding (env i gets seed + i) and same-step autoreset (autoreset.ts) as
 * the Worker VectorEnv, but synchronous: no Workers to start, nothing to await, any options (a VideoReader
 * source, a Distortion object) and any wrappers. It uses one core for stepping (SVT-AV1's own threads aside):
 * VectorEnv is the one that runs sub-environments in parallel.
 *
 * Build it from Env options (`{ numEnvs, env }`, as VectorEnv.create) or from factories of environments
 * (`{ envs: [() => new TimeLimit(new Env(...), 20), ...] }`) whose innermost environment is an Env.
 */
import { StateError } from "../../core/errors";
import { Env, type EnvOptions, type Observation, type ResetInfo, type StepInfo } from "../env";
import type { GymEnv } from "../gym_env";
import { autoresetStep, type AutoresetStepInfo } from "./autoreset";
import { BatchedEnv, checkSameShapes, checkSeed, perEnvOptions, spacesInfo, subSeed, type BatchObservation } from "./batch";
import type { VectorStepResult } from "./vector_env";

/** An environment SyncVectorEnv can batch: an Env, or a wrapper around one. */
export type BatchableEnv = GymEnv<Observation, ArrayLike<number>, StepInfo, ResetInfo>;

export type SyncVectorEnvOptions =
  | { numEnvs: number; env?: EnvOptions | EnvOptions[] }
  | { envs: (() => BatchableEnv)[] };

export class SyncVectorEnv extends BatchedEnv {
  /** The sub-environments, in batch order. */
  readonly envs: readonly BatchableEnv[];
  private closed = false;

  constructor(options: SyncVectorEnvOptions) {
    const factories =
      "envs" in (options ?? {})
        ? (options as { envs: (() => BatchableEnv)[] }).envs
        : perEnvOptions(options as { numEnvs: number; env?: EnvOptions | EnvOptions[] }, "SyncVectorEnv").map((o) => () => new Env(o));
    const envs: BatchableEnv[] = [];
    try {
      for (const make of factories) envs.push(make());
      const spaces = envs.map(spacesInfo);
      checkSameShapes(spaces, "SyncVectorEnv");
      super(envs.length, spaces[0]!);
    } catch (e) {
      for (const env of envs) env.close();
      throw e;
    }
    this.envs = Object.freeze(envs);
  }

  /** Resets every sub-environment; with a seed, env i gets seed + i. */
  reset(args: { seed?: number; options?: { start?: number; maxFrames?: number } } = {}): [BatchObservation, ResetInfo[]] {
    this.live();
    const { seed, options } = args ?? {};
    checkSeed(seed);
    const results = this.envs.map((env, i) => env.reset({ seed: subSeed(seed, i), options }));
    return [this.stack(results.map((r) => r[0])), results.map((r) => r[1])];
  }

  /**
   * Steps every sub-environment with its action (a flat array of numEnvs * sbRows * sbCols level indices,
   * env-major, or an array of per-env actions). All actions are checked before any is taken.
   */
  step(actions: ArrayLike<number> | ArrayLike<ArrayLike<number>>): VectorStepResult {
    this.live();
    const per = this.splitActions(actions, "SyncVectorEnv");
    const results = this.envs.map((env, i) => autoresetStep(env, per[i]!));
    const rewards = Float64Array.from(results, (r) => r.reward);
    const infos: AutoresetStepInfo[] = results.map((r) => r.info);
    return [this.stack(results.map((r) => r.obs)), rewards, results.map((r) => r.terminated), results.map((r) => r.truncated), infos];
  }

  /** Closes every sub-environment. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const env of this.envs) env.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private live(): void {
    if (this.closed) throw new StateError("the SyncVectorEnv is closed");
  }
}
