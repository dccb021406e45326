/**
 * A small learning agent in plain TypeScript: the cross-entropy method (CEM) on a linear per-superblock
 * policy, with episodes run in parallel by a VectorEnv (one Worker per sub-environment).
 *
 * Policy: for superblock s, score = w · [superblock features of s, frame features, 1]; the action is the
 * level nearest to (zero-offset level + score). CEM samples a population of weight vectors from a
 * Gaussian, scores each by one episode's total reward (baseline mode: improvement over all-zero offsets,
 * so 0 = the encoder's own choice), and refits the Gaussian to the best few.
 *
 * `bun run examples/train.ts` (AV1GYM_TRAIN_ITERS, AV1GYM_TRAIN_POP, AV1GYM_TRAIN_ENVS to change the size).
 * Prints one line per iteration: iteration, population mean reward, best reward, mean-policy reward.
 */
import { FRAME_FEATURES, Rng, SUPERBLOCK_FEATURES, VectorEnv, type Observation } from "av1gym";

const ITERS = Number(process.env.AV1GYM_TRAIN_ITERS ?? 12);
const POP = Number(process.env.AV1GYM_TRAIN_POP ?? 16); // including the current mean
const ENVS = Number(process.env.AV1GYM_TRAIN_ENVS ?? 2);
const ELITE = Math.max(2, Math.round(POP / 4));
const F = SUPERBLOCK_FEATURES.length;
const G = FRAME_FEATURES.length;
const DIM = F + G + 1;

/** The linear policy: level index per superblock from one sub-environment's observation. */
function act(w: Float64Array, sb: Float32Array, frame: Float32Array, levels: number, zero: number, out: Int8Array): void {
  let shared = w[DIM - 1]!;
  for (let g = 0; g < G; g++) shared += w[F + g]! * frame[g]!;
  for (let s = 0; s < out.length; s++) {
    let score = shared;
    for (let f = 0; f < F; f++) score += w[f]! * sb[s * F + f]!;
    out[s] = Math.max(0, Math.min(levels - 1, Math.round(zero + score)));
  }
}

const venv = await VectorEnv.create({
  numEnvs: ENVS,
  env: {
    source: { synth: { width: 256, height: 192, frames: 10, seed: 7 } }, // the training clip
    encoder: { preset: 12, crf: 35 },
    reward: { mode: "baseline", distortion: "psnr", lambda: 20 }, // zero offsets are the best uniform choice here
  },
});
try {
  const nSb = venv.sbRows * venv.sbCols;
  const levels = venv.actionLevels.length;
  const zero = venv.actionLevels.indexOf(0);
  const rng = new Rng(2024);
  const mu = new Float64Array(DIM);
  const sigma = new Float64Array(DIM).fill(0.7);

  /** Total episode reward of each weight vector, ENVS episodes at a time. */
  async function evaluate(pop: Float64Array[]): Promise<number[]> {
    const totals: number[] = [];
    const acts = Array.from({ length: ENVS }, () => new Int8Array(nSb));
    for (let k = 0; k < pop.length; k += ENVS) {
      let [obs] = await venv.reset({ seed: 0 }); // the same window every time: a fair comparison
      const sum = new Float64Array(ENVS);
      for (;;) {
        for (let i = 0; i < ENVS; i++) {
          const w = pop[Math.min(k + i, pop.length - 1)]!;
          act(w, obs.superblocks.subarray(i * nSb * F, (i + 1) * nSb * F), obs.frame.subarray(i * G, (i + 1) * G), levels, zero, acts[i]!);
        }
        const [next, rewards, terminated, truncated] = await venv.step(acts);
        for (let i = 0; i < ENVS; i++) sum[i]! += rewards[i]!;
        obs = next;
        if (terminated[0] || truncated[0]) break; // all sub-environments share the window: they end together
      }
      for (let i = 0; i < ENVS && k + i < pop.length; i++) totals.push(sum[i]!);
    }
    return totals;
  }

  console.log("iteration  mean_reward  best_reward  mean_policy_reward");
  const curve: { iter: number; mean: number; best: number; policy: number }[] = [];
  for (let it = 0; it < ITERS; it++) {
    const pop: Float64Array[] = [Float64Array.from(mu)]; // slot 0: the current mean policy
    for (let p = 1; p < POP; p++) pop.push(Float64Array.from(mu, (m, d) => m + sigma[d]! * rng.normal()));
    const scores = await evaluate(pop);
    const order = scores.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0]);
    const elite = order.slice(0, ELITE).map(([, i]) => pop[i]!);
    for (let d = 0; d < DIM; d++) {
      let m = 0;
      for (const e of elite) m += e[d]!;
      m /= elite.length;
      let v = 0;
      for (const e of elite) v += (e[d]! - m) ** 2;
      mu[d] = m;
      sigma[d] = Math.sqrt(v / elite.length) + 0.02; // a little extra noise keeps exploring
    }
    const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
    const row = { iter: it, mean, best: order[0]![0], policy: scores[0]! };
    curve.push(row);
    console.log(`${String(it).padStart(9)}  ${mean.toFixed(3).padStart(11)}  ${row.best.toFixed(3).padStart(11)}  ${row.policy.toFixed(3).padStart(18)}`);
  }
  const [final] = await evaluate([mu]);
  console.log(`final mean policy: episode reward ${final!.toFixed(3)} (zero offsets = 0; first population mean ${curve[0]!.mean.toFixed(3)})`);
  console.log(JSON.stringify({ curve, final, weights: Array.from(mu, (x) => Math.round(x * 1000) / 1000) }));
} finally {
  await venv.close();
}
