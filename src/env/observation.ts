/**
 * Observation layout and scaling. Every feature is documented with its unit and mapped to about unit
 * range, so a policy can use them without its own normalisation.
 *
 * `superblocks`: Float32Array [sbRows, sbCols, SUPERBLOCK_FEATURES.length], row-major, for the frame the
 * next action applies to. `frame`: Float32Array [FRAME_FEATURES.length].
 */

/** Per-superblock features (the last axis of `superblocks`), in order. */
export const SUPERBLOCK_FEATURES = [
  "mean_luma", //        mean luma of the superblock, 0..255 → /255
  "log_variance", //     luma variance (8-bit units²) → log10(1 + v) / 4 (about 0.5..1 for textured content)
  "temporal_mad", //     mean |cur - prev source frame| at the same place → ln(1 + mad) / ln(256)
  "motion_x", //         content displacement since the previous source frame, pixels → /32 (search range ±35)
  "motion_y", //         as motion_x, vertical
  "mc_mad", //           mean |cur - prev| after motion compensation → ln(1 + mad) / ln(256)
  "gradient", //         mean |dI/dx| + |dI/dy| → ln(1 + g) / ln(511)
  "prev_distortion", //  distortion of this superblock in the previous encoded frame, at the reward's metric,
  //                     scaled by the metric (mse: log10(1+mse)/3, psnr: dB/50, ssim: (1-ssim)*10); 0 at start
  "prev_offset", //      the qindex offset chosen here for the previous frame / max |action level|; 0 at start
] as const;

/** Whole-frame features (`frame`), in order. */
export const FRAME_FEATURES = [
  "progress", //           frames encoded so far / episode length, 0..1
  "next_is_key", //        1 if the frame to be encoded will be a key frame (first of the episode or key interval)
  "frames_since_key", //   frames from the last key frame to the next frame / key interval (or /64), capped at 1
  "next_mult_2", //        1 if frames_since_key (unscaled) of the next frame is a multiple of 2; with
  "next_mult_4", //        ..4 and ..8 these give the frame's place in SVT-AV1's low-delay temporal
  "next_mult_8", //        hierarchy (multiples of 4 are the base layer at 3 layers), which sets its base QP
  "prev_is_key", //        1 if the previous encoded frame was a key frame
  "prev_is_nonref", //     1 if the previous frame was not a reference (frame type NON_REF: top layer)
  "prev_base_qindex", //   the previous frame's base qindex (0..255) / 255
  "prev_bpp", //           bits per pixel of the previous frame (usually 0..2; not clipped)
  "prev_distortion", //    previous frame's distortion, scaled like the per-superblock value
  "prev_mean_offset", //   mean qindex offset of the previous action / max |action level|
  "rate_setting", //       CRF or QP of the encoder settings / 63; with cbr, the target bits per pixel per frame
  "frame_mean_luma", //    mean luma of the frame to be encoded / 255
  "frame_temporal_mad", // its mean temporal MAD (same scaling as the per-superblock one)
] as const;

export const NUM_ANALYSIS = 7;
export const SB_F = SUPERBLOCK_FEATURES.length;
export const FRAME_G = FRAME_FEATURES.length;

const LN256 = Math.log(256);
const LN511 = Math.log(511);

/**
 * Scales one superblock's raw analysis (7 values in lib/analysis/analysis.c order: mean luma, variance, temporal
 * MAD, mv x, mv y, motion-compensated MAD, gradient) into `out` at `o`.
 */
export function scaleAnalysis(raw: Float32Array, r: number, out: Float32Array, o: number): void {
  out[o] = raw[r]! / 255;
  out[o + 1] = Math.log10(1 + Math.max(0, raw[r + 1]!)) / 4;
  out[o + 2] = Math.log1p(Math.max(0, raw[r + 2]!)) / LN256;
  out[o + 3] = raw[r + 3]! / 32;
  out[o + 4] = raw[r + 4]! / 32;
  out[o + 5] = Math.log1p(Math.max(0, raw[r + 5]!)) / LN256;
  out[o + 6] = Math.log1p(Math.max(0, raw[r + 6]!)) / LN511;
}

/**
 * Turns raw analysis [nSb * 7] into the scaled analysis part [nSb * 7] once per source frame (it does not
 * depend on actions, so the Env caches it).
 */
export function scaleAnalysisFrame(raw: Float32Array, nSb: number): Float32Array {
  const out = new Float32Array(nSb * NUM_ANALYSIS);
  for (let i = 0; i < nSb; i++) scaleAnalysis(raw, i * NUM_ANALYSIS, out, i * NUM_ANALYSIS);
  return out;
}
