/** TimeLimit, ClipObservation and checkEnv on the real Env, and the Env options that are sugar for them. */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { EnvCheckError, EpisodeEndedError, InvalidArgumentError, StateError } from "../../src/core/errors";
import { Rng } from "../../src/core/rng";
import { checkEnv } from "../../src/env/check_env";
import { Env, type Observation, type StepInfo } from "../../src/env/env";
import type { GymStepResult } from "../../src/env/gym_env";
import { FR, FRAME_G, SB, SB_F } from "../../src/env/observation";
import { ClipObservation } from "../../src/env/wrappers/clip_observation";
import { TimeLimit } from "../../src/env/wrappers/time_limit";
import { Wrapper, unwrap } from "../../src/env/wrappers/wrapper";

setDefaultTimeout(60_000); // real encodes on a loaded 2-core machine

const BASE = { source: { synth: { width: 128, height: 128, frames: 10 } }, encoder: { preset: 12 } } as const;

function episode(env: { reset(a?: object): [Observation, object]; step(a: ArrayLike<number>): GymStepResult<Observation, object> }, seed: number, steps = 20) {
  const rng = new Rng(seed);
  const [o0] = env.reset({ seed });
  const obs = [o0];
  const rewards: number[] = [];
  const flags: [boolean, boolean][] = [];
  for (let i = 0; i < steps; i++) {
    const a = new Int8Array(4).map(() => rng.int(7));
    const [o, r, te, tr] = env.step(a);
    obs.push(o);
    rewards.push(r);
    flags.push([te, tr]);
    if (te || tr) break;
  }
  return { obs, rewards, flags };
}

describe("ClipObservation", () => {
  test("equals the Env's observation.clip option (the option is sugar): same space, same observations; values are clipped", () => {
    using sugar = new Env({ ...BASE, maxFrames: 5, observation: { clip: 0.5 } });
    using wrapped = new ClipObservation(new Env({ ...BASE, maxFrames: 5 }), 0.5);
    const sSb = sugar.observationSpace.spaces.superblocks;
    const wSb = wrapped.observationSpace.spaces.superblocks;
    expect(wSb.low).toEqual(sSb.low);
    expect(wSb.high).toEqual(sSb.high);
    expect(wrapped.observationSpace.spaces.frame.high).toEqual(sugar.observationSpace.spaces.frame.high);
    const a = episode(sugar, 3);
    const b = episode(wrapped, 3);
    expect(b.rewards).toEqual(a.rewards);
    b.obs.forEach((o, i) => {
      expect(o.superblocks).toEqual(a.obs[i]!.superblocks);
      expect(o.frame).toEqual(a.obs[i]!.frame);
      expect(wrapped.observationSpace.contains(o)).toBe(true);
    });
    // Something was clipped (the texture's log variance is above 0.5), and nothing exceeds the clip.
    const all = b.obs.flatMap((o) => [...o.superblocks, ...o.frame]);
    expect(all.filter((v) => v === 0.5).length).toBeGreaterThan(0);
    expect(Math.max(...all.map(Math.abs))).toBeLessThanOrEqual(0.5);
    expect(() => new ClipObservation(new Env(BASE), 0)).toThrow(InvalidArgumentError);
    // A clip float32 cannot hold exactly (0.8): the clipped values are fround(0.8), and the space says so.
    using c08 = new Env({ ...BASE, maxFrames: 2, observation: { clip: 0.8 } });
    const [o08] = c08.reset({ seed: 0 });
    expect(o08.frame[FR.next_is_key]).toBe(Math.fround(0.8));
    expect(c08.observationSpace.contains(o08)).toBe(true);
  });
});

describe("TimeLimit", () => {
  test("equals the Env's maxFrames option: same rewards and end flags; the observations differ only in progress", () => {
    using sugar = new Env({ ...BASE, maxFrames: 4 });
    using limited = new TimeLimit(new Env(BASE), 4);
    const a = episode(sugar, 1);
    const b = episode(limited, 1);
    expect(b.rewards).toEqual(a.rewards);
    expect(b.flags).toEqual([[false, false], [false, false], [false, false], [false, true]]);
    expect(b.flags).toEqual(a.flags);
    // The Env with maxFrames knows its window: its final observation has no next frame to analyse (zeros).
    b.obs.slice(0, -1).forEach((o, i) => {
      expect(o.superblocks).toEqual(a.obs[i]!.superblocks);
      for (let k = 0; k < FRAME_G; k++) if (k !== FR.progress) expect(o.frame[k]).toBe(a.obs[i]!.frame[k]!);
    });
    const last = b.obs.at(-1)!.superblocks;
    const lastSugar = a.obs.at(-1)!.superblocks;
    for (let i = 0; i < 4; i++)
      for (const k of [SB.prev_distortion, SB.prev_offset]) expect(last[i * SB_F + k]).toBe(lastSugar[i * SB_F + k]!);
    expect(() => limited.step([0, 0, 0, 0])).toThrow(EpisodeEndedError);
    expect(() => sugar.step([0, 0, 0, 0])).toThrow(EpisodeEndedError);
    // A new episode starts the count again.
    limited.reset({ seed: 2 });
    expect(limited.elapsedSteps).toBe(0);
    limited.step([0, 0, 0, 0]);
    expect(limited.elapsedSteps).toBe(1);
  });

  test("an episode that ends by itself first is terminated, not truncated; bad limits are InvalidArgumentError", () => {
    using limited = new TimeLimit(new Env(BASE), 5);
    limited.reset({ options: { start: 7 } }); // 3 frames left in the source
    const flags = [0, 1, 2].map(() => limited.step([3, 3, 3, 3]).slice(2, 4));
    expect(flags).toEqual([[false, false], [false, false], [true, false]]);
    expect(() => limited.step([3, 3, 3, 3])).toThrow(EpisodeEndedError); // from the Env itself
    expect(() => new TimeLimit(new Env(BASE), 0)).toThrow(InvalidArgumentError);
    expect(() => new TimeLimit(new Env(BASE), 2.5)).toThrow(InvalidArgumentError);
  });

  test("wrappers stack and forward close; unwrapped is the Env", () => {
    const env = new Env(BASE);
    const w = new TimeLimit(new ClipObservation(env, 1), 3);
    expect(w.unwrapped).toBe(env);
    expect(unwrap(env)).toBe(env);
    w.close();
    expect(env.isClosed).toBe(true);
    expect(() => w.reset()).toThrow(StateError);
  });
});

/** Wrappers that break one rule each, for checkEnv to find. */
class NoisyReward extends Wrapper<Env> {
  override step(a: ArrayLike<number>): GymStepResult<Observation, StepInfo> {
    const r = this.env.step(a);
    return [r[0], r[1] + Math.random(), r[2], r[3], r[4]];
  }
}
class AcceptsAnything extends Wrapper<Env> {
  override step(a: ArrayLike<number>): GymStepResult<Observation, StepInfo> {
    return this.env.step(Array.from(a, (v) => Math.max(0, Math.min(6, v))));
  }
}
class ClaimsClipped extends ClipObservation<Env> {
  override step(a: ArrayLike<number>): GymStepResult<Observation, StepInfo> {
    return this.env.step(a); // the clipped space, unclipped values
  }
}
class StringFlags extends Wrapper<Env> {
  override step(a: ArrayLike<number>): GymStepResult<Observation, StepInfo> {
    const r = this.env.step(a);
    return [r[0], r[1], String(r[2]) as never, r[3], r[4]];
  }
}

describe("checkEnv", () => {
  test("the Env, alone and wrapped, keeps the contract (and is closed afterwards)", () => {
    const env = new Env({ ...BASE, maxFrames: 4 });
    expect(checkEnv(env)).toEqual({ steps: 4, episodeEnded: true });
    expect(env.isClosed).toBe(true);
    const inner = new Env({ ...BASE, reward: { mode: "baseline" } });
    expect(checkEnv(new TimeLimit(new ClipObservation(inner, 0.8), 3), { seed: 4 })).toEqual({ steps: 3, episodeEnded: true });
    expect(inner.isClosed).toBe(true);
    using open = new Env(BASE);
    expect(checkEnv(open, { steps: 2, close: false })).toEqual({ steps: 2, episodeEnded: false });
    expect(open.isClosed).toBe(false);
  });

  test.each([
    ["a nondeterministic reward", (e: Env) => new NoisyReward(e), "different rewards"],
    ["an action outside the space accepted", (e: Env) => new AcceptsAnything(e), "accepted an action outside actionSpace"],
    ["observations outside the space", (e: Env) => new ClaimsClipped(e, 0.1), "outside observationSpace"],
    ["terminated not a boolean", (e: Env) => new StringFlags(e), "terminated is a string"],
  ])("finds %s", (_name, wrap, message) => {
    const env = new Env({ ...BASE, maxFrames: 3 });
    try {
      checkEnv(wrap(env));
      throw new Error("checkEnv passed");
    } catch (e) {
      expect(e).toBeInstanceOf(EnvCheckError);
      expect((e as EnvCheckError).message).toContain(message);
      expect((e as EnvCheckError).code).toBe("ENV_CHECK");
    } finally {
      env.close();
    }
  });
});
