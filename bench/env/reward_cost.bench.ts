/**
 * What a reward metric costs per step: Env steps/s with the `ssim` reward (libvmaf's float_ssim) and with
 * `ssim_box8` (the fast 8x8-window SSIM), each against the `psnr` reward (which reuses the encoder's SSE) in
 * the same run, episodes alternated, best of RUNS. Same clip and settings as env.bench.ts.
 */
import { join } from "node:path";
import { Env, type EnvOptions } from "../../src/env/env";
import { HAVE_SHARED, SHARED_DIR, report } from "../util";

const RUNS = Number(process.env.AV1GYM_BENCH_RUNS ?? 7);
const N = 60;
const source: EnvOptions["source"] = HAVE_SHARED ? join(SHARED_DIR, "clips", "bikes_640x272_250f.mp4") : { synth: { width: 640, height: 272, frames: N } };
const clip = HAVE_SHARED ? "bikes_640x272" : "synth_640x272";
const opts = (distortion: "psnr" | "ssim" | "ssim_box8"): EnvOptions => ({
  source,
  maxFrames: N,
  encoder: { preset: 10, crf: 35, threads: 1 },
  reward: { distortion },
});

const envs = { psnr: new Env(opts("psnr")), ssim: new Env(opts("ssim")), ssim_box8: new Env(opts("ssim_box8")) };
const action = new Int8Array(envs.psnr.sbRows * envs.psnr.sbCols).fill(3);

function episode(env: Env): number {
  env.reset({ seed: 0 });
  const t0 = performance.now();
  for (;;) {
    const [, , te, tr] = env.step(action);
    if (te || tr) break;
  }
  return (performance.now() - t0) / 1000;
}

try {
  for (const env of Object.values(envs)) episode(env); // warm-up: decode and analyse the window once
  const best = { psnr: Infinity, ssim: Infinity, ssim_box8: Infinity };
  const names = Object.keys(best) as (keyof typeof best)[];
  for (let r = 0; r < RUNS; r++)
    for (let k = 0; k < names.length; k++) {
      const name = names[(r + k) % names.length]!; // rotate the order each run
      best[name] = Math.min(best[name], episode(envs[name]));
    }
  const settings = `preset 10, crf 35, low delay, 1 thread, ${N} frames`;
  for (const name of ["ssim", "ssim_box8"] as const)
    report({ bench: `env-steps-${name}-reward-vs-psnr-reward`, clip, settings, ours: N / best[name], peer: N / best.psnr, unit: "fps", ms_per_step_added: Math.round((best[name] - best.psnr) / N * 1e5) / 100 });
} finally {
  for (const env of Object.values(envs)) env.close();
}
