/** Budget mode: the episode's bit budget is the default encoder's bits on the window (x factor); the observation
 * shows bits used and left; the last step is charged for an overshoot. */
import { expect, test } from "bun:test";
import { Env } from "../../src/env/env";
import { FR } from "../../src/env/observation";

const opts = (factor: number) => ({
  source: { synth: { width: 128, height: 128, frames: 6 } },
  encoder: { preset: 12 },
  reward: { mode: "baseline" as const, distortion: "psnr" as const, budget: { factor, overshootPenalty: 20 } },
});

function episode(env: Env, level: number) {
  let [obs] = env.reset({ seed: 0 });
  const a = new Int8Array(env.sbRows * env.sbCols).fill(env.actionLevels.indexOf(level));
  const rewards: number[] = [], used: number[] = [];
  for (;;) {
    const [next, r, term, trunc] = env.step(a);
    rewards.push(r);
    used.push(next.frame[FR.budget_used]!);
    expect(next.frame[FR.budget_left]!).toBeCloseTo(1 - next.frame[FR.budget_used]!, 6);
    obs = next;
    if (term || trunc) break;
  }
  void obs;
  return { rewards, used };
}

test("the default's own choices spend exactly the budget and score 0; spending more is charged at the end", () => {
  using env = new Env(opts(1));
  const zero = episode(env, 0);
  expect(zero.rewards.every((r) => r === 0)).toBe(true);
  expect(zero.used.at(-1)!).toBeCloseTo(1, 9);
  expect(env.rateWeight).toBe(0); // no rate term in the per-step reward
  const fine = episode(env, -24); // finer quantizer everywhere: more bits, more quality
  for (let i = 1; i < fine.used.length; i++) expect(fine.used[i]!).toBeGreaterThan(fine.used[i - 1]!);
  const overshoot = fine.used.at(-1)! - 1;
  expect(overshoot).toBeGreaterThan(0);
  // every step but the last is a quality gain; the last also pays 20 x overshoot x 6 frames
  expect(fine.rewards.slice(0, -1).every((r) => r > 0)).toBe(true);
  using roomy = new Env(opts(100)); // a budget it cannot overshoot: no charge
  const { rewards: again } = episode(roomy, -24);
  // (the overshoot read from the float32 observation: 4 places)
  expect(fine.rewards.at(-1)!).toBeCloseTo(again.at(-1)! - 20 * overshoot * 6, 4);
});

test("budget mode and an explicit slope weight exclude each other", () => {
  expect(() => new Env({ ...opts(1), reward: { ...opts(1).reward, lambda: "slope" } })).toThrow(/budget mode has no rate weight/);
});
