/** The default reward cannot be gamed by sliding along the encoder's own RD curve: uniform offsets score about 0. */
import { expect, test } from "bun:test";
import { Env } from "../../src/env/env";
import { describeShared, sharedPath } from "../helpers/shared";

const FRAMES = 20;
/** Mean per-frame reward of one episode with the same offset on every superblock of every frame. */
function uniform(clip: string, level: number, lambda?: number): { reward: number; weight: number } {
  using env = new Env({ source: sharedPath("clips", clip), maxFrames: FRAMES, encoder: { preset: 10, crf: 35 }, reward: { mode: "baseline", distortion: "psnr", ...(lambda === undefined ? {} : { lambda }) } });
  env.reset({ seed: 0 });
  const a = new Int8Array(env.sbRows * env.sbCols).fill(env.actionLevels.indexOf(level));
  let total = 0;
  for (;;) {
    const [, r, term, trunc] = env.step(a);
    total += r;
    if (term || trunc) break;
  }
  return { reward: total / FRAMES, weight: env.rateWeight };
}

describeShared("the slope rate weight (baseline mode's default)", () => {
  test("uniform -8 and +8 offsets score within 0.1 dB a frame of 0 on two real clips; a fixed lambda pays for +8", () => {
    for (const clip of ["bikes_640x272_250f.mp4", "seeking_384x288_150f.mp4"]) {
      for (const level of [-8, 8]) {
        const { reward, weight } = uniform(clip, level);
        expect(weight).toBeGreaterThan(1); // dB per bit per pixel, from the default's encodes at CRF 31 and 39
        expect(Math.abs(reward)).toBeLessThan(0.1);
      }
    }
    // The old fixed weight (examples/train.ts used 20) rewards coarser quantization everywhere on this clip.
    expect(uniform("seeking_384x288_150f.mp4", 8, 20).reward).toBeGreaterThan(0.1);
  }, 300_000);
});
