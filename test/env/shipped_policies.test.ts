/** The shipped policies: the harness's BD-rate and the Env's default episode reward tell the same story. */
import { expect, test } from "bun:test";
import { join, resolve } from "node:path";
import { Env } from "../../src/env/env";
import { evaluatePolicy, loadPolicy, type Policy } from "../../src/env/evaluate";
import { describeShared, sharedPath } from "../helpers/shared";

const ROOT = resolve(import.meta.dir, "..", "..");
const CLIP = sharedPath("clips", "carphone_176x144_120f.mp4");
const FRAMES = 30;
const RATES = [27, 35, 43, 51];

/** Total baseline-mode reward (PSNR, the slope rate weight) over one episode per rate point. */
function episodeReward(policy: Policy): number {
  let total = 0;
  for (const crf of RATES) {
    using env = new Env({ ...(policy.env ?? {}), source: CLIP, maxFrames: FRAMES, encoder: { ...(policy.encoder ?? {}), preset: 10, crf }, reward: { mode: "baseline", distortion: "psnr" } });
    let [obs, reset] = env.reset({ seed: 0 });
    policy.reset?.({ env, reset });
    for (let t = 0; ; t++) {
      const [next, r, term, trunc, info] = env.step(policy.act(obs, { env, step: t, reset }));
      void info;
      total += r;
      obs = next;
      if (term || trunc) break;
    }
  }
  return total;
}

describeShared("shipped policies", () => {
  for (const file of ["examples/policies/frame_qp_policy.ts", "examples/heuristic.ts"])
    test(`${file}: PSNR-Y BD-rate and episode reward agree in sign`, async () => {
      const policy = await loadPolicy(join(ROOT, file));
      const bd = evaluatePolicy(policy, { clips: [CLIP], frames: FRAMES, rates: RATES, metrics: ["psnr_y"] }).average.psnr_y!;
      const reward = episodeReward(policy);
      expect(Math.abs(bd)).toBeGreaterThan(0.1); // a policy that does something
      expect(Math.sign(reward)).toBe(-Math.sign(bd)); // fewer bits for the same quality = positive reward
    }, 300_000);
});
