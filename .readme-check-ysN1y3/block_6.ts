import { Env, Rng } from "av1gym";

using env = new Env({
  source: "../shared/clips/carphone_176x144_120f.mp4", // or a VideoReader, or { synth: { width, height, frames } }
  maxFrames: 30,
  randomStart: true,
  encoder: { preset: 10, crf: 35 },
  actionLevels: [-24, -16, -8, 0, 8, 16, 24], // qindex offset per action index (at most 8)
  reward: { distortion: "psnr", lambda: 10, mode: "baseline" }, // improvement over all-zero offsets
});
const rng = new Rng(0);
let [obs, info] = env.reset({ seed: 0 });
for (;;) {
  const action = env.actionSpace.sample(rng);          // Int8Array, one level index per superblock
  const [next, reward, terminated, truncated, step] = env.step(action);
  console.log(reward, step.bytes, step.psnrY, step.qindex, step.frameType);
  obs = next;
  if (terminated || truncated) break;
}
