/**
 * Trains the frame-level qp agent (examples/policies/frame_qp_policy.ts) with a cross-entropy method that can
 * only improve:
 *  - fixed training windows drawn once from several training clips (TRAINING_CLIPS, never the held-out ones),
 *    at several rate points, so every candidate is scored on the same episodes;
 *  - fitness = mean per-frame reward over those episodes (baseline mode: improvement over SVT-AV1's default,
 *    rate weighted by the default's own RD slope on each window, so sliding along the curve scores about 0);
 *  - elitism: the best policy so far is in every population and is replaced only by one that scores higher,
 *    so the best fitness never falls; it starts as the all-zero policy (the default's qp, fitness about 0);
 *  - every HELDOUT_EVERY iterations, the best policy's PSNR-Y BD-rate on the held-out clips (evaluatePolicy):
 *    reported, never used for selection;
 *  - the best policy is saved as a small JSON file.
 *
 * `bun run examples/train_frame_qp.ts [out.json]` (AV1GYM_TRAIN_ITERS, AV1GYM_TRAIN_POP, AV1GYM_TRAIN_FRAMES,
 * AV1GYM_HELDOUT_EVERY (0: never), AV1GYM_HELDOUT_FRAMES to change the size). Prints one line per iteration and
 * a JSON summary last.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { Env } from "../src/env/env";
import { evaluatePolicy, sharedClip, HELD_OUT_CLIPS, TRAINING_CLIPS } from "../src/env/evaluate";
import { Rng } from "../src/core/rng";
import { FRAME_QP_INPUTS, frameQpAction, frameQpPolicy, WEIGHTS_FILE } from "./policies/frame_qp_policy";

const ITERS = Number(process.env.AV1GYM_TRAIN_ITERS ?? 8);
const POP = Number(process.env.AV1GYM_TRAIN_POP ?? 10);
const FRAMES = Number(process.env.AV1GYM_TRAIN_FRAMES ?? 60);
const HELDOUT_EVERY = Number(process.env.AV1GYM_HELDOUT_EVERY ?? 2);
const HELDOUT_FRAMES = Number(process.env.AV1GYM_HELDOUT_FRAMES ?? 60);
const OUT = process.argv[2] ?? WEIGHTS_FILE;
/** Warm start: a weights JSON (missing trailing inputs start at 0); its policy is the first elite. */
const INIT = process.env.AV1GYM_TRAIN_INIT;
const DIM = FRAME_QP_INPUTS.length;
const ELITE = Math.max(2, Math.round(POP / 4));

// Training windows: [clip, start, crf]. Clips from TRAINING_CLIPS only.
const WINDOWS: [string, number, number][] = [
  [TRAINING_CLIPS[0]!, 0, 27],
  [TRAINING_CLIPS[0]!, 45, 35],
  [TRAINING_CLIPS[0]!, 90, 43],
  [TRAINING_CLIPS[1]!, 90, 51],
  [TRAINING_CLIPS[2]!, 0, 39],
];

const envs = WINDOWS.map(([clip, start, crf]) => {
  const env = new Env({ source: sharedClip(clip), start, encoder: { preset: 10, crf, frameQp: true }, reward: { mode: "baseline", distortion: "psnr" } });
  return { env, start, frames: Math.min(FRAMES, env.frameCount - start), clip, crf };
});

/** Mean per-frame reward of a weight vector over every training window. */
function fitness(w: Float64Array): number {
  let total = 0, frames = 0;
  for (const { env, start, frames: n } of envs) {
    let [obs] = env.reset({ seed: 0, options: { start, maxFrames: n } });
    for (;;) {
      const [next, r, term, trunc] = env.step(frameQpAction(w, obs));
      total += r;
      frames++;
      obs = next;
      if (term || trunc) break;
    }
  }
  return total / frames;
}

function heldOut(w: Float64Array): number | null {
  const e = evaluatePolicy(frameQpPolicy(w), { clips: HELD_OUT_CLIPS.map(sharedClip), frames: HELDOUT_FRAMES, metrics: ["psnr_y"] });
  return e.average.psnr_y ?? null;
}

try {
  const rng = new Rng(Number(process.env.AV1GYM_TRAIN_SEED ?? 8));
  const mu = new Float64Array(DIM);
  if (INIT) (JSON.parse(readFileSync(INIT, "utf8")).weights as number[]).slice(0, DIM).forEach((w, i) => (mu[i] = w));
  const sigma = new Float64Array(DIM).fill(1.5);
  let best = Float64Array.from(mu); // all zero (the default's own qp) unless warm-started
  let bestFit = fitness(best);
  const startFit = bestFit; // the all-zero (or warm-start) policy: the floor the best never falls below
  const curve: { iter: number; mean: number; best: number; heldout_bdrate_psnr_y?: number | null }[] = [];
  console.log(`windows: ${envs.map((e) => `${e.clip}@${e.start}+${e.frames} crf ${e.crf}`).join(", ")}`);
  console.log("iteration  mean_fitness  best_fitness  held-out BD-rate PSNR-Y");
  for (let it = 0; it < ITERS; it++) {
    const pop: Float64Array[] = [Float64Array.from(mu)];
    while (pop.length < POP - 1) pop.push(Float64Array.from(mu, (m, d) => m + sigma[d]! * rng.normal()));
    const scores = pop.map(fitness);
    // Elitism: the best so far competes with (and is kept against) this population.
    const all = [...pop.map((w, i) => [scores[i]!, w] as const), [bestFit, best] as const].sort((a, b) => b[0] - a[0]);
    if (all[0]![0] > bestFit) [bestFit, best] = [all[0]![0], Float64Array.from(all[0]![1])];
    const elite = all.slice(0, ELITE).map(([, w]) => w);
    for (let d = 0; d < DIM; d++) {
      const m = elite.reduce((a, e) => a + e[d]!, 0) / elite.length;
      mu[d] = m;
      sigma[d] = Math.sqrt(elite.reduce((a, e) => a + (e[d]! - m) ** 2, 0) / elite.length) + 0.1;
    }
    const row: (typeof curve)[number] = { iter: it, mean: scores.reduce((a, b) => a + b, 0) / scores.length, best: bestFit };
    if (HELDOUT_EVERY > 0 && (it % HELDOUT_EVERY === HELDOUT_EVERY - 1 || it === ITERS - 1)) row.heldout_bdrate_psnr_y = heldOut(best);
    curve.push(row);
    const ho = row.heldout_bdrate_psnr_y;
    console.log(`${String(it).padStart(9)}  ${row.mean.toFixed(4).padStart(12)}  ${row.best.toFixed(4).padStart(12)}  ${ho === undefined ? "" : ho === null ? "n/a" : `${ho.toFixed(2)} %`}`);
  }
  const weights = Array.from(best, (x) => Math.round(x * 1000) / 1000);
  writeFileSync(
    OUT,
    JSON.stringify({ inputs: FRAME_QP_INPUTS, weights, trained: { windows: WINDOWS, frames: FRAMES, iterations: ITERS, population: POP, start_fitness: startFit, fitness: bestFit, curve } }, null, 1) + "\n",
  );
  console.log(JSON.stringify({ curve, best: bestFit, weights, saved: OUT }));
} finally {
  for (const { env } of envs) env.close();
}
