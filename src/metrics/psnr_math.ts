/**
 * PSNR from an error measure, with the one cap every PSNR in av1gym uses: libvmaf's, 6·bitDepth + 12 dB
 * (60 dB at 8-bit, 72 dB at 10-bit), reached by identical planes and by any error too small to tell apart.
 * The same formula as lib/metrics/psnr.c (peak 2^bitDepth − 1, MSE floored at 1e-10), so `psnr()`, the
 * encoder's packet PSNR, `StepInfo.psnrY` and the `psnr` reward give one number for one frame pair.
 */

/** The PSNR cap in dB at a bit depth (libvmaf's psnr_max): 60 at 8-bit, 72 at 10-bit. */
export function psnrCap(bitDepth = 8): number {
  return 6 * bitDepth + 12;
}

/** PSNR in dB of a mean squared error at a bit depth, capped at `psnrCap(bitDepth)`. */
export function psnrFromMse(mse: number, bitDepth = 8): number {
  const peak = 2 ** bitDepth - 1;
  const v = 10 * Math.log10((peak * peak) / (mse > 1e-10 ? mse : 1e-10));
  const cap = psnrCap(bitDepth);
  return v < cap ? v : cap;
}

/** PSNR in dB of a plane of `samples` samples whose sum of squared errors is `sse`. */
export function psnrFromSse(sse: number, samples: number, bitDepth = 8): number {
  return psnrFromMse(sse / samples, bitDepth);
}
