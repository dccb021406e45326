/**
 * Luma SSIM of a reconstructed frame against its source, per frame and per 64x64 superblock, for the
 * `ssim` reward. Windows are 8x8 with a step of 4 (the fast integer-window variant libaom and x264 use,
 * no Gaussian weighting), constants K1 = 0.01, K2 = 0.03 of the peak value. A window counts toward the
 * superblock that holds its top-left sample. Plain TypeScript over the planes (a few ms at 640x272); the
 * metrics module's SSIM can replace it through the reward's Distortion interface.
 */
import type { I420Frame } from "../frame";

export interface SsimResult {
  /** Mean SSIM over all windows (1 = identical). */
  mean: number;
}

/**
 * Computes windowed SSIM; `sbSum`/`sbCount` (length sbRows*sbCols) receive the per-superblock sums and
 * window counts. Frames smaller than 8x8 fall back to a single window covering the frame.
 */
export function lumaSsim(a: I420Frame, b: I420Frame, sbCols: number, sbSum: Float64Array, sbCount: Float64Array, sbSize = 64): SsimResult {
  const w = a.width;
  const h = a.height;
  const peak = (1 << (a.bitDepth ?? 8)) - 1;
  const c1 = (0.01 * peak) ** 2;
  const c2 = (0.03 * peak) ** 2;
  sbSum.fill(0);
  sbCount.fill(0);
  const win = Math.min(8, w, h);
  const ay = a.y;
  const by = b.y;
  const sa = a.strideY;
  const sb = b.strideY;
  let total = 0;
  let count = 0;
  const n = win * win;
  for (let y0 = 0; y0 + win <= h; y0 += 4) {
    for (let x0 = 0; x0 + win <= w; x0 += 4) {
      let s1 = 0;
      let s2 = 0;
      let s11 = 0;
      let s22 = 0;
      let s12 = 0;
      for (let y = 0; y < win; y++) {
        let ia = (y0 + y) * sa + x0;
        let ib = (y0 + y) * sb + x0;
        for (let x = 0; x < win; x++, ia++, ib++) {
          const p = ay[ia]!;
          const q = by[ib]!;
          s1 += p;
          s2 += q;
          s11 += p * p;
          s22 += q * q;
          s12 += p * q;
        }
      }
      const m1 = s1 / n;
      const m2 = s2 / n;
      const v1 = s11 / n - m1 * m1;
      const v2 = s22 / n - m2 * m2;
      const cov = s12 / n - m1 * m2;
      const ssim = ((2 * m1 * m2 + c1) * (2 * cov + c2)) / ((m1 * m1 + m2 * m2 + c1) * (v1 + v2 + c2));
      total += ssim;
      count++;
      const k = Math.floor(y0 / sbSize) * sbCols + Math.floor(x0 / sbSize);
      sbSum[k]! += ssim;
      sbCount[k]! += 1;
    }
  }
  return { mean: count ? total / count : 1 };
}
