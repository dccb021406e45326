/**
 * Per-frame-pair quality metrics on I420 frames (8-bit Uint8Array or 10-bit Uint16Array planes), computed in
 * C (lib/metrics/psnr.c, lib/metrics/ssim.c) with libvmaf's semantics so the numbers can be compared with the
 * `vmaf` tool's psnr_y/cb/cr, float_ssim and float_ms_ssim.
 */
import { ptr } from "bun:ffi";
import { metricsChecks, metricsNative as native } from "../native/ffi";
import { PSNR } from "../native/abi";
import { InvalidArgumentError } from "../core/errors";
import { validateI420, type I420Frame } from "../core/frame";
// the metrics-only library: scoring never loads libav or SVT-AV1 (src/native/ffi.ts)
const { check } = metricsChecks;

export interface PsnrResult {
  /** dB; identical planes give the cap 6·bitDepth+12 (60 dB at 8-bit, 72 dB at 10-bit), as libvmaf (psnr_math.ts). */
  y: number;
  cb: number;
  cr: number;
  /** PSNR of the squared error pooled over all Y, Cb and Cr samples. */
  combined: number;
}

const out4 = new Float64Array(PSNR.COUNT);
const out1 = new Float64Array(1);

/** Checks two frames and returns their common bit depth. */
export function checkPair(ref: I420Frame, dis: I420Frame): number {
  validateI420(ref);
  validateI420(dis, { width: ref.width, height: ref.height });
  const bd = ref.bitDepth ?? 8;
  if ((dis.bitDepth ?? 8) !== bd)
    throw new InvalidArgumentError(`reference is ${bd}-bit but distorted is ${dis.bitDepth ?? 8}-bit`);
  return bd;
}

/** PSNR of Y, Cb, Cr and combined. */
export function psnr(ref: I420Frame, dis: I420Frame): PsnrResult {
  const bd = checkPair(ref, dis);
  check(
    native().ag_psnr(
      ptr(ref.y), ref.strideY, ptr(ref.u), ref.strideU, ptr(ref.v), ref.strideV,
      ptr(dis.y), dis.strideY, ptr(dis.u), dis.strideU, ptr(dis.v), dis.strideV,
      ref.width, ref.height, bd, ptr(out4), out4.length,
    ),
    "psnr",
  );
  return { y: out4[PSNR.Y]!, cb: out4[PSNR.U]!, cr: out4[PSNR.V]!, combined: out4[PSNR.ALL]! };
}

/** Luma SSIM (libvmaf float_ssim). NaN when the frame is smaller than the 11×11 window. */
export function ssim(ref: I420Frame, dis: I420Frame): number {
  const bd = checkPair(ref, dis);
  check(native().ag_ssim(ptr(ref.y), ref.strideY, ptr(dis.y), dis.strideY, ref.width, ref.height, bd, ptr(out1), out1.length), "ssim");
  return out1[0]!;
}

/** Luma MS-SSIM, 5 scales (libvmaf float_ms_ssim). NaN when a scale would be smaller than 11×11 (frames under 176×176). */
export function msSsim(ref: I420Frame, dis: I420Frame): number {
  const bd = checkPair(ref, dis);
  check(native().ag_ms_ssim(ptr(ref.y), ref.strideY, ptr(dis.y), dis.strideY, ref.width, ref.height, bd, ptr(out1), out1.length), "ms_ssim");
  return out1[0]!;
}

/** SIMD levels of the metric kernels, lowest first. */
export const SIMD_LEVELS = ["none", "avx2", "avx512"] as const;
export type SimdLevel = (typeof SIMD_LEVELS)[number];

/**
 * The highest SIMD level the metric kernels may use: "none" (portable C), "avx2", or "avx512" (the default: the
 * best the CPU has; AVX-512 needs F/BW/DQ/VL/CD and VNNI). `true` is "avx512", `false` "none". Results are
 * identical at every level.
 */
export function setMetricsSimd(level: boolean | SimdLevel): void {
  const i = level === true ? 2 : level === false ? 0 : SIMD_LEVELS.indexOf(level);
  if (i < 0) throw new InvalidArgumentError(`SIMD level must be one of ${SIMD_LEVELS.join(", ")} (got ${String(level)})`);
  native().ag_metrics_set_simd(i);
}

/** The SIMD level in use (the allowed one, or lower when the CPU lacks it). */
export function metricsSimdLevel(): SimdLevel {
  return SIMD_LEVELS[native().ag_metrics_simd()] ?? "none";
}

/** True when SIMD kernels (AVX2 or AVX-512) are in use. */
export function metricsSimdActive(): boolean {
  return native().ag_metrics_simd() > 0;
}
