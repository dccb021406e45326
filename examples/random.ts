/**
 * A random policy on generated content: one episode, printing each step's reward, bytes and PSNR.
 * `bun run examples/random.ts [frames]`
 */
import { Env, Rng } from "av1gym";

const frames = Number(process.argv[2] ?? process.env.AV1GYM_EXAMPLE_FRAMES ?? 20);
using env = new Env({ source: { synth: { width: 256, height: 192, frames } }, encoder: { preset: 12 }, reward: { mode: "baseline" } });
const rng = new Rng(1);
env.reset({ seed: 1 });
let total = 0;
for (;;) {
  const [, reward, terminated, truncated, info] = env.step(env.actionSpace.sample(rng));
  total += reward;
  console.log(`step ${info.step}: reward ${reward.toFixed(3)}  ${info.bytes} B  PSNR-Y ${info.psnrY.toFixed(2)} dB  ${info.frameType}`);
  if (terminated || truncated) break;
}
console.log(`random policy: episode reward ${total.toFixed(3)} over ${env.stepCount} frames`);
