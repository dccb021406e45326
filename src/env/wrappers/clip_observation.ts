/**
 * ClipObservation: every observation value clipped to [-clip, clip], and the observation space's bounds
 * with it, on any environment whose observations are float arrays or records of them (Box or Dict of
 * Boxes). `Env`'s `observation.clip` option is sugar for it: the Env applies these same functions.
 */
import { InvalidArgumentError } from "../../core/errors";
import type { ActOf, AnyGymEnv, GymResetOptions, GymStepResult, ObsOf, ResetInfoOf, StepInfoOf } from "../gym_env";
import { Box, Dict, type Space } from "../spaces";
import { Wrapper } from "./wrapper";

function checkClip(clip: number): void {
  if (typeof clip !== "number" || !(clip > 0)) throw new InvalidArgumentError(`clip must be a positive number, got ${clip}`);
}

const clamp = (v: number, c: number) => (v < -c ? -c : v > c ? c : v);

/** The space of clipped observations: Box bounds clamped to [-clip, clip] (Dicts recursively); other spaces as they are. */
export function clipObservationSpace<S extends Space>(space: S, clip: number): S {
  checkClip(clip);
  if (space instanceof Box) {
    // A float32 observation clipped to 0.8 holds fround(0.8) > 0.8: the bounds are float32 values too.
    const round = space.dtype === "float32" ? Math.fround : (v: number) => v;
    const bound = (v: number) => round(clamp(v, clip));
    return new Box({ low: space.low.map(bound), high: space.high.map(bound), shape: space.shape, dtype: space.dtype }) as unknown as S;
  }
  if (space instanceof Dict) {
    const subs: Record<string, Space> = {};
    for (const [k, s] of Object.entries(space.spaces as Record<string, Space>)) subs[k] = clipObservationSpace(s, clip);
    return new Dict(subs) as unknown as S;
  }
  return space;
}

/** Clips every float array in `obs` (itself, or the values of a record, recursively) in place. */
export function clipObservationInPlace<T>(obs: T, clip: number): T {
  if (obs instanceof Float32Array || obs instanceof Float64Array) {
    for (let i = 0; i < obs.length; i++) obs[i] = clamp(obs[i]!, clip);
  } else if (obs !== null && typeof obs === "object" && !ArrayBuffer.isView(obs)) {
    for (const v of Object.values(obs)) clipObservationInPlace(v, clip);
  }
  return obs;
}

/** A clipped copy of `obs` (the wrapped environment may keep and reuse the arrays it returned). */
export function clipObservation<T>(obs: T, clip: number): T {
  return clipObservationInPlace(structuredClone(obs), clip);
}

export class ClipObservation<E extends AnyGymEnv = AnyGymEnv> extends Wrapper<E> {
  private readonly space: E["observationSpace"];

  constructor(env: E, readonly clip: number) {
    super(env);
    this.space = clipObservationSpace(env.observationSpace, clip);
  }

  override get observationSpace(): E["observationSpace"] {
    return this.space;
  }

  override reset(args?: GymResetOptions): [ObsOf<E>, ResetInfoOf<E>] {
    const [obs, info] = this.env.reset(args);
    return [clipObservation(obs, this.clip), info];
  }

  override step(action: ActOf<E>): GymStepResult<ObsOf<E>, StepInfoOf<E>> {
    const [obs, reward, terminated, truncated, info] = this.env.step(action);
    return [clipObservation(obs, this.clip), reward, terminated, truncated, info];
  }
}
