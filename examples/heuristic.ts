/**
 * Variance-driven adaptive quantization as a hand-written policy:
 *  - spatial: superblocks busier than the frame's average (higher log variance) take a coarser quantizer,
 *    flat ones a finer one (texture masks coding noise; flat areas show it), one level per standard
 *    deviation of log variance;
 *  - temporal: frames on the low layers of SVT-AV1's low-delay hierarchy (referenced by later frames) one
 *    level finer, non-reference top-layer frames one level coarser.
 * `bun run examples/heuristic.ts [frames]`
 */
import { Env, FRAME_FEATURES, SUPERBLOCK_FEATURES, type Observation } from "av1gym";

const F = SUPERBLOCK_FEATURES.length;
const LOGVAR = SUPERBLOCK_FEATURES.indexOf("log_variance");
const MULT2 = FRAME_FEATURES.indexOf("next_mult_2");
const MULT4 = FRAME_FEATURES.indexOf("next_mult_4");

/** Level indices for one observation; `levels` are the Env's actionLevels (the zero offset is the centre). */
export function heuristicAction(obs: Observation, levels: readonly number[], out = new Int8Array(obs.superblocks.length / F)): Int8Array {
  const n = out.length;
  const zero = Math.max(0, levels.indexOf(0));
  let mean = 0;
  for (let i = 0; i < n; i++) mean += obs.superblocks[i * F + LOGVAR]!;
  mean /= n;
  let sd = 0;
  for (let i = 0; i < n; i++) sd += (obs.superblocks[i * F + LOGVAR]! - mean) ** 2;
  sd = Math.sqrt(sd / n) || 1;
  const temporal = obs.frame[MULT4] === 1 ? -1 : obs.frame[MULT2] === 0 ? 1 : 0;
  for (let i = 0; i < n; i++) {
    const z = (obs.superblocks[i * F + LOGVAR]! - mean) / sd;
    out[i] = Math.max(0, Math.min(levels.length - 1, Math.round(zero + temporal + Math.max(-1, Math.min(1, z)))));
  }
  return out;
}

if (import.meta.main) {
  const frames = Number(process.argv[2] ?? process.env.AV1GYM_EXAMPLE_FRAMES ?? 20);
  using env = new Env({ source: { synth: { width: 256, height: 192, frames } }, encoder: { preset: 12 }, reward: { mode: "baseline" } });
  let [obs] = env.reset({ seed: 1 });
  let total = 0;
  for (;;) {
    const [next, reward, terminated, truncated, info] = env.step(heuristicAction(obs, env.actionLevels));
    obs = next;
    total += reward;
    console.log(`step ${info.step}: reward ${reward.toFixed(3)}  ${info.bytes} B  PSNR-Y ${info.psnrY.toFixed(2)} dB  ${info.frameType}`);
    if (terminated || truncated) break;
  }
  console.log(`heuristic policy: episode reward ${total.toFixed(3)} over ${env.stepCount} frames`);
}
