/**
 * What the two vector environments (Worker VectorEnv, in-process SyncVectorEnv) share besides autoreset:
 * the options, the sub-environments' shapes, the batched spaces, splitting a batch of actions and stacking
 * observations. Observations are stacked along a new first axis; actions are env-major.
 */
import { InvalidArgumentError } from "../../core/errors";
import { decodeAction } from "../actions";
import { Env, type EnvOptions, type Observation } from "../env";
import type { AnyGymEnv } from "../gym_env";
import { FRAME_G, SB_F } from "../observation";
import { Box, Dict, MultiDiscrete } from "../spaces";
import { unwrap } from "../wrappers/wrapper";

/** One sub-environment's shapes and bounds (what a worker reports after building its Env). */
export interface SpacesInfo {
  sbRows: number;
  sbCols: number;
  numLevels: number;
  actionLevels: number[];
  sbLow: Float64Array;
  sbHigh: Float64Array;
  frameLow: Float64Array;
  frameHigh: Float64Array;
}

export interface BatchObservation {
  /** [numEnvs, sbRows, sbCols, F]. */
  superblocks: Float32Array;
  /** [numEnvs, G]. */
  frame: Float32Array;
}

/** The shapes of an Env, or of a wrapper around one (its observation space, which a wrapper may change). */
export function spacesInfo(env: AnyGymEnv): SpacesInfo {
  const base = unwrap(env);
  if (!(base instanceof Env)) throw new InvalidArgumentError("vector environments batch Env observations: the innermost environment must be an Env");
  const obs = env.observationSpace;
  if (!(obs instanceof Dict) || !(obs.spaces.superblocks instanceof Box) || !(obs.spaces.frame instanceof Box))
    throw new InvalidArgumentError("vector environments batch { superblocks, frame } observations (a Dict of two Boxes)");
  return {
    sbRows: base.sbRows,
    sbCols: base.sbCols,
    numLevels: base.actionLevels.length,
    actionLevels: [...base.actionLevels],
    sbLow: obs.spaces.superblocks.low,
    sbHigh: obs.spaces.superblocks.high,
    frameLow: obs.spaces.frame.low,
    frameHigh: obs.spaces.frame.high,
  };
}

/** numEnvs checked, and one option object per sub-environment. */
export function perEnvOptions(options: { numEnvs: number; env?: EnvOptions | EnvOptions[] }, what: string): EnvOptions[] {
  const n = options?.numEnvs;
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError(`numEnvs must be an integer in 1..64, got ${n}`);
  const perEnv = Array.isArray(options.env) ? options.env : new Array<EnvOptions>(n).fill(options.env ?? {});
  if (perEnv.length !== n) throw new InvalidArgumentError(`${what}: env has ${perEnv.length} option objects for ${n} sub-environments`);
  return perEnv;
}

/** Checks that every sub-environment has sub-environment 0's grid and levels. */
export function checkSameShapes(all: SpacesInfo[], what: string): void {
  const s0 = all[0]!;
  all.forEach((s, i) => {
    if (s.sbRows !== s0.sbRows || s.sbCols !== s0.sbCols || s.actionLevels.join() !== s0.actionLevels.join())
      throw new InvalidArgumentError(
        `${what}: sub-environment ${i} has ${s.sbCols}x${s.sbRows} superblocks and levels [${s.actionLevels}], sub-environment 0 ${s0.sbCols}x${s0.sbRows} and [${s0.actionLevels}]: batches need the same shapes`,
      );
  });
}

/** Sub-environment i's seed for a batch seed (seed + i, as Gymnasium's vector environments). */
export function subSeed(seed: number | undefined, i: number): number | undefined {
  return seed === undefined ? undefined : seed + i;
}

export function checkSeed(seed: number | undefined): void {
  if (seed !== undefined && !Number.isSafeInteger(seed)) throw new InvalidArgumentError(`reset: seed must be a safe integer, got ${seed}`);
}

/** The batch's shapes, spaces and array plumbing; both vector environments extend it. */
export abstract class BatchedEnv {
  readonly numEnvs: number;
  readonly sbRows: number;
  readonly sbCols: number;
  readonly actionLevels: readonly number[];
  /** One sub-environment's spaces. */
  readonly singleActionSpace: MultiDiscrete;
  readonly singleObservationSpace: Dict<{ superblocks: Box; frame: Box }>;
  /** Batched spaces: [numEnvs, ...]. */
  readonly actionSpace: MultiDiscrete;
  readonly observationSpace: Dict<{ superblocks: Box; frame: Box }>;
  protected readonly nSb: number;

  protected constructor(numEnvs: number, s: SpacesInfo) {
    const n = (this.numEnvs = numEnvs);
    this.sbRows = s.sbRows;
    this.sbCols = s.sbCols;
    this.nSb = s.sbRows * s.sbCols;
    this.actionLevels = Object.freeze([...s.actionLevels]);
    this.singleActionSpace = new MultiDiscrete(new Array(this.nSb).fill(s.numLevels), [s.sbRows, s.sbCols]);
    this.singleObservationSpace = new Dict({
      superblocks: new Box({ low: s.sbLow, high: s.sbHigh, shape: [s.sbRows, s.sbCols, SB_F] }),
      frame: new Box({ low: s.frameLow, high: s.frameHigh, shape: [FRAME_G] }),
    });
    this.actionSpace = new MultiDiscrete(new Array(n * this.nSb).fill(s.numLevels), [n, s.sbRows, s.sbCols]);
    const rep = (a: Float64Array) => {
      const out = new Float64Array(a.length * n);
      for (let i = 0; i < n; i++) out.set(a, i * a.length);
      return out;
    };
    this.observationSpace = new Dict({
      superblocks: new Box({ low: rep(s.sbLow), high: rep(s.sbHigh), shape: [n, s.sbRows, s.sbCols, SB_F] }),
      frame: new Box({ low: rep(s.frameLow), high: rep(s.frameHigh), shape: [n, FRAME_G] }),
    });
  }

  /**
   * One Int8Array of level indices per sub-environment, from a flat integer array / Int8Array / Uint8Array
   * of numEnvs * sbRows * sbCols (env-major) or an array of numEnvs per-env actions. Everything is checked
   * before anything is returned, so an invalid batch changes nothing.
   */
  protected splitActions(actions: unknown, what: string): Int8Array[] {
    const n = this.numEnvs;
    const nSb = this.nSb;
    const shape = [this.sbRows, this.sbCols];
    const L = this.actionLevels.length;
    if (Array.isArray(actions) && actions.length === n && actions.every((a) => typeof a === "object" && a !== null)) {
      return actions.map((a, i) => {
        const out = new Int8Array(nSb);
        try {
          decodeAction(a, L, out, shape);
        } catch (e) {
          throw new InvalidArgumentError(`actions[${i}]: ${(e as Error).message}`);
        }
        return out;
      });
    }
    const flat = new Int8Array(n * nSb);
    try {
      decodeAction(actions, L, flat, [n, ...shape]);
    } catch (e) {
      throw new InvalidArgumentError(`${what}.step: ${(e as Error).message} (or pass an array of ${n} per-env actions)`);
    }
    return Array.from({ length: n }, (_, i) => flat.slice(i * nSb, (i + 1) * nSb));
  }

  protected stack(obs: Observation[]): BatchObservation {
    const sbLen = this.nSb * SB_F;
    const superblocks = new Float32Array(this.numEnvs * sbLen);
    const frame = new Float32Array(this.numEnvs * FRAME_G);
    obs.forEach((o, i) => {
      superblocks.set(o.superblocks, i * sbLen);
      frame.set(o.frame, i * FRAME_G);
    });
    return { superblocks, frame };
  }
}
