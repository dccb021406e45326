/**
 * "ssim_box8": a fast SSIM of a reconstructed frame against its source, per frame and per 64x64 superblock,
 * for the `ssim_box8` reward. Windows are 8x8 with a step of 4 (the integer-window variant libaom and x264
 * use, no Gaussian weighting), constants K1 = 0.01, K2 = 0.03 of the peak value. A window counts toward the
 * superblock that holds its top-left sample. Plain TypeScript from 4x4 block sums.
 *
 * It is NOT libvmaf's float_ssim (11x11 Gaussian windows), which `ssim()` and the `ssim` reward compute:
 * the two differ by a few hundredths of SSIM, hence the distinct name. This one costs a small fraction of it
 * (bench/env/reward_cost.bench.ts) and gives a per-superblock map.
 */
import { SB_SIZE } from "../analysis/analysis";
import type { I420Frame } from "../core/frame";

export interface SsimResult {
  /** Mean SSIM over all windows (1 = identical). */
  mean: number;
}

/**
 * Computes windowed SSIM; `sbSum`/`sbCount` (length sbRows*sbCols) receive the per-superblock sums and
 * window counts. Frames smaller than 8x8 fall back to a single window covering the frame.
 */
export function ssimBox8(a: I420Frame, b: I420Frame, sbCols: number, sbSum: Float64Array, sbCount: Float64Array, sbSize = SB_SIZE): SsimResult {
  const w = a.width;
  const h = a.height;
  const peak = (1 << (a.bitDepth ?? 8)) - 1;
  const c1 = (0.01 * peak) ** 2;
  const c2 = (0.03 * peak) ** 2;
  sbSum.fill(0);
  sbCount.fill(0);
  if (w < 8 || h < 8) return { mean: smallFrameSsim(a, b, c1, c2, sbSum, sbCount) };
  // Sums over 4x4 blocks (each sample read once); an 8x8 window at a multiple of 4 is 2x2 such blocks.
  // Integer sums are exact in doubles, so this equals summing each window directly.
  const bw = w >> 2;
  const bh = h >> 2;
  const nb = bw * bh;
  if (scratch.length < nb * 5) scratch = new Float64Array(nb * 5);
  const S = scratch;
  S.fill(0, 0, nb * 5);
  const ay = a.y;
  const by = b.y;
  const sa = a.strideY;
  const sb = b.strideY;
  for (let y = 0; y < bh * 4; y++) {
    const rowA = y * sa;
    const rowB = y * sb;
    const blockRow = (y >> 2) * bw;
    for (let bx = 0; bx < bw; bx++) {
      let s1 = 0, s2 = 0, s11 = 0, s22 = 0, s12 = 0;
      const ia = rowA + bx * 4;
      const ib = rowB + bx * 4;
      for (let k = 0; k < 4; k++) {
        const p = ay[ia + k]!;
        const q = by[ib + k]!;
        s1 += p;
        s2 += q;
        s11 += p * p;
        s22 += q * q;
        s12 += p * q;
      }
      const o = (blockRow + bx) * 5;
      S[o]! += s1;
      S[o + 1]! += s2;
      S[o + 2]! += s11;
      S[o + 3]! += s22;
      S[o + 4]! += s12;
    }
  }
  let total = 0;
  let count = 0;
  const n = 64;
  for (let by0 = 0; by0 + 1 < bh; by0++) {
    for (let bx0 = 0; bx0 + 1 < bw; bx0++) {
      const o00 = (by0 * bw + bx0) * 5;
      const o01 = o00 + 5;
      const o10 = o00 + bw * 5;
      const o11 = o10 + 5;
      const s1 = S[o00]! + S[o01]! + S[o10]! + S[o11]!;
      const s2 = S[o00 + 1]! + S[o01 + 1]! + S[o10 + 1]! + S[o11 + 1]!;
      const s11 = S[o00 + 2]! + S[o01 + 2]! + S[o10 + 2]! + S[o11 + 2]!;
      const s22 = S[o00 + 3]! + S[o01 + 3]! + S[o10 + 3]! + S[o11 + 3]!;
      const s12 = S[o00 + 4]! + S[o01 + 4]! + S[o10 + 4]! + S[o11 + 4]!;
      const ssim = windowSsim(s1, s2, s11, s22, s12, n, c1, c2);
      total += ssim;
      count++;
      const k = Math.floor((by0 * 4) / sbSize) * sbCols + Math.floor((bx0 * 4) / sbSize);
      sbSum[k]! += ssim;
      sbCount[k]! += 1;
    }
  }
  return { mean: count ? total / count : 1 };
}

let scratch = new Float64Array(0);

function windowSsim(s1: number, s2: number, s11: number, s22: number, s12: number, n: number, c1: number, c2: number): number {
  const m1 = s1 / n;
  const m2 = s2 / n;
  const v1 = s11 / n - m1 * m1;
  const v2 = s22 / n - m2 * m2;
  const cov = s12 / n - m1 * m2;
  return ((2 * m1 * m2 + c1) * (2 * cov + c2)) / ((m1 * m1 + m2 * m2 + c1) * (v1 + v2 + c2));
}

/** Frames narrower or lower than 8 samples: one window over the whole frame. */
function smallFrameSsim(a: I420Frame, b: I420Frame, c1: number, c2: number, sbSum: Float64Array, sbCount: Float64Array): number {
  let s1 = 0, s2 = 0, s11 = 0, s22 = 0, s12 = 0;
  for (let y = 0; y < a.height; y++)
    for (let x = 0; x < a.width; x++) {
      const p = a.y[y * a.strideY + x]!;
      const q = b.y[y * b.strideY + x]!;
      s1 += p;
      s2 += q;
      s11 += p * p;
      s22 += q * q;
      s12 += p * q;
    }
  const ssim = windowSsim(s1, s2, s11, s22, s12, a.width * a.height, c1, c2);
  sbSum[0] = ssim;
  sbCount[0] = 1;
  return ssim;
}
