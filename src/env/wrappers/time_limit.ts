/**
 * TimeLimit: ends every episode after at most `maxEpisodeSteps` steps with `truncated = true` (Gymnasium's
 * wrapper of that name), on any environment. Where the episode ends by itself at the limit, `terminated`
 * stays true and `truncated` false: the two are never both set (as `Env` reports its own ends). A step after
 * the limit is an EpisodeEndedError, as a step after `Env`'s own end is.
 *
 * `Env`'s `maxFrames` option applies the same limit (the same `limitFlags`) inside the Env, where it also sets
 * the episode's window: the random-start range, the frames the baseline encodes and the cache holds, the
 * `progress` feature, and the final observation's analysis (zeros: no next frame in the window). Rewards and
 * end flags are identical either way (test/env/wrappers.test.ts); prefer the option for an `Env`, and
 * TimeLimit for other environments or to shorten episodes of a wrapped one.
 */
import { EpisodeEndedError, InvalidArgumentError } from "../../core/errors";
import type { ActOf, AnyGymEnv, GymResetOptions, GymStepResult, ObsOf, ResetInfoOf, StepInfoOf } from "../gym_env";
import { Wrapper } from "./wrapper";

/** [terminated, truncated] after `elapsed` steps of an episode limited to `limit` steps. */
export function limitFlags(terminated: boolean, truncated: boolean, elapsed: number, limit: number): [boolean, boolean] {
  return terminated ? [true, false] : [false, truncated || elapsed >= limit];
}

export class TimeLimit<E extends AnyGymEnv = AnyGymEnv> extends Wrapper<E> {
  private elapsed = 0;
  private truncatedHere = false;

  constructor(env: E, readonly maxEpisodeSteps: number) {
    super(env);
    if (!Number.isInteger(maxEpisodeSteps) || maxEpisodeSteps < 1)
      throw new InvalidArgumentError(`TimeLimit: maxEpisodeSteps must be a positive integer, got ${maxEpisodeSteps}`);
  }

  /** Steps taken in the current episode. */
  get elapsedSteps(): number {
    return this.elapsed;
  }

  override reset(args?: GymResetOptions): [ObsOf<E>, ResetInfoOf<E>] {
    const r = this.env.reset(args);
    this.elapsed = 0;
    this.truncatedHere = false;
    return r;
  }

  override step(action: ActOf<E>): GymStepResult<ObsOf<E>, StepInfoOf<E>> {
    if (this.truncatedHere)
      throw new EpisodeEndedError(`the episode was truncated after ${this.maxEpisodeSteps} steps (TimeLimit); call reset() to start another`);
    const r = this.env.step(action);
    this.elapsed++;
    const [terminated, truncated] = limitFlags(r[2], r[3], this.elapsed, this.maxEpisodeSteps);
    this.truncatedHere = truncated && !r[3]; // ended here rather than by the environment itself
    return [r[0], r[1], terminated, truncated, r[4]];
  }
}
