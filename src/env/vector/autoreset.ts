/**
 * The one autoreset: Gymnasium's "same-step" mode, used by the Worker VectorEnv (in each worker) and by
 * SyncVectorEnv (in process). When a step ends the episode, the environment is reset at once: the step
 * returns the NEW episode's first observation, while reward, terminated, truncated and info describe the
 * step that ended the old one; info.finalObservation holds the old episode's last observation and
 * info.resetInfo the new episode's reset info. No step is wasted on a reset.
 */
import type { GymEnv } from "../gym_env";
import type { Observation, ResetInfo, StepInfo } from "../env";

/** Step info from a vector environment (see the module comment). */
export type AutoresetStepInfo<Obs = Observation, Info = StepInfo, RInfo = ResetInfo> = Info & { finalObservation?: Obs; resetInfo?: RInfo };

export interface AutoresetStep<Obs, Info, RInfo> {
  obs: Obs;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: AutoresetStepInfo<Obs, Info, RInfo>;
}

/** Steps `env`, resetting it in the same call when the episode ends (without a seed: its generator goes on). */
export function autoresetStep<Obs, Act, Info extends object, RInfo>(env: GymEnv<Obs, Act, Info, RInfo>, action: Act): AutoresetStep<Obs, Info, RInfo> {
  const [obs, reward, terminated, truncated, stepInfo] = env.step(action);
  const info: AutoresetStepInfo<Obs, Info, RInfo> = stepInfo;
  if (!terminated && !truncated) return { obs, reward, terminated, truncated, info };
  const [first, resetInfo] = env.reset();
  info.finalObservation = obs;
  info.resetInfo = resetInfo;
  return { obs: first, reward, terminated, truncated, info };
}
