/**
 * `bun run demo`: one episode of the av1gym Env on generated content, first with the variance-driven
 * heuristic (examples/heuristic.ts), then with a random policy; per-step reward, bytes, PSNR, and steps/s,
 * ending with a one-line comparison. Reward: baseline mode (improvement in PSNR-Y dB minus lambda x bits
 * per pixel over the same frame encoded with all-zero offsets, so 0 = SVT-AV1's own choice).
 */
import { Env, Rng, type Observation } from "av1gym";
import { heuristicAction } from "../examples/heuristic";

const FRAMES = Number(process.env.AV1GYM_DEMO_FRAMES ?? 60);

function runEpisode(name: string, policy: (obs: Observation, env: Env) => ArrayLike<number>) {
  using env = new Env({
    source: { synth: { width: 352, height: 288, frames: FRAMES, seed: 1 } },
    encoder: { preset: 10, crf: 35 },
    reward: { mode: "baseline", distortion: "psnr" },
  });
  let [obs] = env.reset({ seed: 1 });
  console.log(`\n${name}: ${env.width}x${env.height}, ${env.sbCols}x${env.sbRows} superblocks, ${env.actionLevels.length} offsets (${env.actionLevels.join(" ")})`);
  console.log("step  reward   bytes  PSNR-Y  base-q  type");
  let total = 0;
  let bytes = 0;
  let psnr = 0;
  const t0 = performance.now();
  for (;;) {
    const [next, reward, terminated, truncated, info] = env.step(policy(obs, env));
    obs = next;
    total += reward;
    bytes += info.bytes;
    psnr += info.psnrY;
    console.log(
      `${String(info.step).padStart(4)}  ${reward.toFixed(3).padStart(6)}  ${String(info.bytes).padStart(6)}  ${info.psnrY.toFixed(2).padStart(6)}  ${String(info.qindex).padStart(6)}  ${info.frameType}`,
    );
    if (terminated || truncated) break;
  }
  const secs = (performance.now() - t0) / 1000;
  const n = env.stepCount;
  const row = { name, total, bytes, psnr: psnr / n, stepsPerS: n / secs };
  console.log(`${name}: episode reward ${total.toFixed(3)}, ${bytes} bytes, mean PSNR-Y ${row.psnr.toFixed(2)} dB, ${row.stepsPerS.toFixed(0)} steps/s (first episode: includes the baseline encode and the analysis)`);
  return row;
}

const rng = new Rng(7);
const h = runEpisode("heuristic", (obs, env) => heuristicAction(obs, env.actionLevels));
const r = runEpisode("random", (_obs, env) => env.actionSpace.sample(rng));
const better = h.total > r.total ? "heuristic" : "random";
console.log(
  `\nheuristic ${h.total.toFixed(3)} vs random ${r.total.toFixed(3)} (reward over ${FRAMES} frames; bytes ${h.bytes} vs ${r.bytes}, PSNR-Y ${h.psnr.toFixed(2)} vs ${r.psnr.toFixed(2)} dB): ${better} wins by ${Math.abs(h.total - r.total).toFixed(3)}`,
);
