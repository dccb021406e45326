/**
 * checkEnv: the contract every environment here keeps (in the spirit of Gymnasium's env checker), as the
 * tests check it on `Env`, for any environment (wrapped ones included):
 *  - the spaces sample what they contain;
 *  - reset({ seed }) returns [obs, info] with obs inside the observation space;
 *  - step(action) returns [obs, reward, terminated, truncated, info]: obs inside the space, a finite number,
 *    two booleans, an object;
 *  - the same seed and actions give the same observations and rewards;
 *  - an action outside the action space is refused with an error and leaves the episode as it was;
 *  - a step after the episode ended is refused;
 *  - close() is idempotent and the environment refuses use afterwards (skipped with `close: false`).
 * Throws EnvCheckError listing every problem found; returns what it ran.
 */
import { EnvCheckError } from "../core/errors";
import { Rng } from "../core/rng";
import type { AnyGymEnv } from "./gym_env";
import { Box, Dict, Discrete, MultiDiscrete, type Space } from "./spaces";

export interface CheckEnvOptions {
  /** Seed for reset and for the actions (default 0). */
  seed?: number;
  /** Steps per checked episode, at most (default 8; the episode may end sooner). */
  steps?: number;
  /** Check close() at the end (the environment is closed afterwards). Default true. */
  close?: boolean;
}

export interface CheckEnvReport {
  /** Steps taken in the reference episode. */
  steps: number;
  /** Whether that episode ended (so the step-after-end check ran). */
  episodeEnded: boolean;
}

/** Deep equality for observations: typed arrays element-wise (NaN equal to NaN), records key by key. */
function same(a: unknown, b: unknown): boolean {
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    const x = a as unknown as ArrayLike<number>;
    const y = b as unknown as ArrayLike<number>;
    if (a.constructor !== b.constructor || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
    return true;
  }
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return Object.is(a, b);
}

/** A value the action space does not contain, or undefined when the space kind is not known here. */
function outsideAction(space: Space): unknown {
  if (space instanceof MultiDiscrete) return Int8Array.from(space.nvec, (n) => Math.min(n, 127));
  if (space instanceof Discrete) return space.n;
  if (space instanceof Box) return new (space.dtype === "float64" ? Float64Array : Float32Array)(space.low.length).fill(NaN);
  if (space instanceof Dict) return {};
  return undefined;
}

function isSpace(s: unknown): s is Space {
  const x = s as Space;
  return !!x && typeof x.sample === "function" && typeof x.contains === "function" && typeof x.seed === "function";
}

function describeError(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

export function checkEnv(env: AnyGymEnv, options: CheckEnvOptions = {}): CheckEnvReport {
  const seed = options.seed ?? 0;
  const maxSteps = options.steps ?? 8;
  const problems: string[] = [];
  const fail = (what: string) => problems.push(what);
  const done = () => {
    if (problems.length) throw new EnvCheckError(problems);
  };

  // Spaces.
  for (const name of ["actionSpace", "observationSpace"] as const) {
    const s = env[name];
    if (!isSpace(s)) fail(`${name} is not a Space (sample, contains, seed)`);
    else if (!s.contains(s.sample(new Rng(seed)))) fail(`${name}.contains() rejects its own sample()`);
  }
  done();
  const obsSpace = env.observationSpace as Space;
  const actSpace = env.actionSpace as Space;

  // One episode, recorded.
  const rng = new Rng(seed);
  const actions: unknown[] = [];
  const run = (record: boolean, label: string) => {
    const observations: unknown[] = [];
    const rewards: number[] = [];
    const r = env.reset({ seed });
    if (!Array.isArray(r) || r.length !== 2) {
      fail(`${label}: reset() returned ${Array.isArray(r) ? `${r.length} values` : typeof r}, not [obs, info]`);
      return { observations, rewards, ended: false };
    }
    const [obs0, info0] = r;
    if (!obsSpace.contains(obs0)) fail(`${label}: reset()'s observation is outside observationSpace`);
    if (info0 === null || typeof info0 !== "object") fail(`${label}: reset()'s info is ${info0 === null ? "null" : typeof info0}, not an object`);
    observations.push(obs0);
    let ended = false;
    for (let t = 0; t < maxSteps && !ended; t++) {
      if (record) actions.push(actSpace.sample(rng));
      const s = env.step(actions[t]);
      if (!Array.isArray(s) || s.length !== 5) {
        fail(`${label}: step() returned ${Array.isArray(s) ? `${s.length} values` : typeof s}, not [obs, reward, terminated, truncated, info]`);
        break;
      }
      const [obs, reward, terminated, truncated, info] = s;
      if (!obsSpace.contains(obs)) fail(`${label}: step ${t}'s observation is outside observationSpace`);
      if (typeof reward !== "number" || !Number.isFinite(reward)) fail(`${label}: step ${t}'s reward is ${String(reward)}, not a finite number`);
      if (typeof terminated !== "boolean") fail(`${label}: step ${t}'s terminated is a ${typeof terminated}, not a boolean`);
      if (typeof truncated !== "boolean") fail(`${label}: step ${t}'s truncated is a ${typeof truncated}, not a boolean`);
      if (info === null || typeof info !== "object") fail(`${label}: step ${t}'s info is not an object`);
      observations.push(obs);
      rewards.push(reward);
      ended = terminated === true || truncated === true;
    }
    return { observations, rewards, ended };
  };

  const first = run(true, "episode");
  done();

  // Determinism under a seed.
  const second = run(false, "replay");
  done();
  if (!same(first.rewards, second.rewards))
    fail(`the same seed and actions gave different rewards: [${first.rewards}] then [${second.rewards}]`);
  const diverged = first.observations.findIndex((o, i) => !same(o, second.observations[i]));
  if (diverged >= 0) fail(`the same seed and actions gave a different observation at step ${diverged}`);

  // A step after the end is refused.
  if (second.ended) {
    let threw = false;
    try {
      env.step(actions[0]);
    } catch {
      threw = true;
    }
    if (!threw) fail("step() after the episode ended (terminated or truncated) was accepted; it must throw until reset()");
  }

  // An invalid action is refused and changes nothing.
  const bad = outsideAction(actSpace);
  if (bad !== undefined && actions.length > 0 && !actSpace.contains(bad)) {
    env.reset({ seed });
    let threw = false;
    try {
      env.step(bad);
    } catch {
      threw = true;
    }
    if (!threw) fail("step() accepted an action outside actionSpace");
    else {
      try {
        const [obs, reward] = env.step(actions[0]);
        if (!same(obs, first.observations[1]) || !Object.is(reward, first.rewards[0]))
          fail("after a refused action, the next step differs from the same step without it: the refused action changed the episode");
      } catch (e) {
        fail(`after a refused action, a valid step failed: ${describeError(e)}`);
      }
    }
  }

  // close() is idempotent; use afterwards is refused.
  if (options.close !== false) {
    try {
      env.close();
      env.close();
    } catch (e) {
      fail(`close() is not idempotent: ${describeError(e)}`);
    }
    let threw = false;
    try {
      env.reset({ seed });
    } catch {
      threw = true;
    }
    if (!threw) fail("reset() after close() was accepted; it must throw");
  }
  done();
  return { steps: first.rewards.length, episodeEnded: first.ended };
}
