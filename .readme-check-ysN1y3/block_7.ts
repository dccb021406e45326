import { VectorEnv, SUPERBLOCK_FEATURES, Rng } from "av1gym";

const venv = await VectorEnv.create({
  numEnvs: 2,
  env: { source: { synth: { width: 256, height: 192, frames: 10 } }, encoder: { preset: 12 },
         reward: { mode: "baseline", distortion: "psnr", lambda: 20 } },
});
const F = SUPERBLOCK_FEATURES.length, L = venv.actionLevels.length, nSb = venv.sbRows * venv.sbCols;
const W = new Float64Array(L * (F + 1));             // logits[l] = W[l] · [features, 1]
const rng = new Rng(0), lr = 0.2;
let baseline = 0;
for (let episode = 0; episode < 50; episode++) {
  let [obs] = await venv.reset({ seed: episode });
  const grads = new Float64Array(W.length * 2).fill(0); // per env
  const returns = [0, 0];
  for (;;) {
    const actions = new Int8Array(2 * nSb);
    for (let e = 0; e < 2; e++)
      for (let s = 0; s < nSb; s++) {
        const x = obs.superblocks.subarray((e * nSb + s) * F, (e * nSb + s + 1) * F);
        const logits = Array.from({ length: L }, (_, l) => x.reduce((a, v, f) => a + v * W[l * (F + 1) + f]!, W[l * (F + 1) + F]!));
        const m = Math.max(...logits), p = logits.map((z) => Math.exp(z - m)), z = p.reduce((a, b) => a + b);
        let u = rng.float() * z, a = 0;
        while (a < L - 1 && (u -= p[a]!) > 0) a++;
        actions[e * nSb + s] = a;
        for (let l = 0; l < L; l++) {                 // d log pi(a) / dW
          const g = (l === a ? 1 : 0) - p[l]! / z;
          for (let f = 0; f <= F; f++) grads[e * W.length + l * (F + 1) + f]! += g * (f < F ? x[f]! : 1);
        }
      }
    const [next, rewards, terminated, truncated] = await venv.step(actions);
    returns[0]! += rewards[0]!; returns[1]! += rewards[1]!;
    obs = next;
    if (terminated[0] || truncated[0]) break;        // same window: both end together (and autoreset)
  }
  for (let e = 0; e < 2; e++)
    for (let k = 0; k < W.length; k++) W[k]! += (lr * (returns[e]! - baseline) * grads[e * W.length + k]!) / nSb;
  baseline = 0.9 * baseline + 0.1 * (returns[0]! + returns[1]!) / 2;
  console.log(episode, ((returns[0]! + returns[1]!) / 2).toFixed(3));
}
await venv.close();
