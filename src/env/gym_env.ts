/**
 * The shape every environment here has, Gymnasium's: spaces, `reset` → [obs, info], `step` → [obs, reward,
 * terminated, truncated, info], `close`. `Env` implements it, wrappers take and implement it, and
 * `checkEnv` and `SyncVectorEnv` accept anything that does.
 */
import type { Space } from "./spaces";

export interface GymResetOptions {
  seed?: number;
  options?: Record<string, unknown>;
}

export type GymStepResult<Obs, Info> = [obs: Obs, reward: number, terminated: boolean, truncated: boolean, info: Info];

export interface GymEnv<Obs = unknown, Act = unknown, StepInfo = object, ResetInfo = object> {
  readonly actionSpace: Space<Act>;
  readonly observationSpace: Space<Obs>;
  reset(args?: GymResetOptions): [Obs, ResetInfo];
  step(action: Act): GymStepResult<Obs, StepInfo>;
  /** Idempotent. */
  close(): void;
}

/** Any environment, whatever its types (for code that only forwards or inspects). */
// biome-ignore lint: the type parameters are unknown here by design
export type AnyGymEnv = GymEnv<any, any, any, any>;

/** The observation, action, step-info and reset-info types of an environment type. */
export type ObsOf<E> = E extends GymEnv<infer O, infer _A, infer _S, infer _R> ? O : never;
export type ActOf<E> = E extends GymEnv<infer _O, infer A, infer _S, infer _R> ? A : never;
export type StepInfoOf<E> = E extends GymEnv<infer _O, infer _A, infer S, infer _R> ? S : never;
export type ResetInfoOf<E> = E extends GymEnv<infer _O, infer _A, infer _S, infer R> ? R : never;
