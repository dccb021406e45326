/**
 * Wrapper: an environment around another one, forwarding everything it does not change (as Gymnasium's
 * `Wrapper`). Subclasses override what they change; `unwrapped` reaches the innermost environment (for
 * what only it has, e.g. `Env.actionLevels`).
 */
import type { ActOf, AnyGymEnv, GymEnv, GymResetOptions, GymStepResult, ObsOf, ResetInfoOf, StepInfoOf } from "../gym_env";

export class Wrapper<E extends AnyGymEnv = AnyGymEnv> implements GymEnv<ObsOf<E>, ActOf<E>, StepInfoOf<E>, ResetInfoOf<E>> {
  constructor(readonly env: E) {}

  get actionSpace(): E["actionSpace"] {
    return this.env.actionSpace;
  }

  get observationSpace(): E["observationSpace"] {
    return this.env.observationSpace;
  }

  reset(args?: GymResetOptions): [ObsOf<E>, ResetInfoOf<E>] {
    return this.env.reset(args);
  }

  step(action: ActOf<E>): GymStepResult<ObsOf<E>, StepInfoOf<E>> {
    return this.env.step(action);
  }

  close(): void {
    this.env.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** The innermost environment. */
  get unwrapped(): AnyGymEnv {
    return unwrap(this.env);
  }
}

/** The innermost environment of `env` (itself when it is no wrapper). */
export function unwrap(env: AnyGymEnv): AnyGymEnv {
  let e = env;
  while (e instanceof Wrapper) e = e.env;
  return e;
}
