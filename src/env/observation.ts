/**
 * The observation's feature tables: the one place where each feature's name, meaning, scaling and bounds
 * are written. `SUPERBLOCK_FEATURES` / `FRAME_FEATURES` (the names, in order), the observation space's
 * bounds (`observationBounds`) and the scaling of the analysis (`scaleAnalysisFrame`) all derive from them.
 * Every feature is mapped to about unit range, so a policy can use them without its own normalisation.
 *
 * `superblocks`: Float32Array [sbRows, sbCols, SUPERBLOCK_FEATURES.length], row-major, for the frame the
 * next action applies to. `frame`: Float32Array [FRAME_FEATURES.length].
 */
import { ANALYSIS_FEATURE_COUNT, FEATURE, MOTION_SEARCH_RANGE, type AnalysisFeature } from "../analysis/analysis";

/** One observation feature: its name, what it is, and the bounds of its scaled value. */
export interface FeatureSpec {
  readonly name: string;
  readonly doc: string;
  readonly low: number;
  readonly high: number;
}

/** A feature computed from the analysis (lib/analysis, 8-bit units): its raw range and scaling. */
interface AnalysisFeatureSpec extends FeatureSpec {
  readonly source: AnalysisFeature;
  readonly scale: (raw: number) => number;
}

const LN256 = Math.log(256);
const LN511 = Math.log(511);
/** Largest 8-bit luma variance (half the samples 0, half 255). */
const MAX_VARIANCE = 127.5 * 127.5;
/** Largest gradient energy |dI/dx| + |dI/dy| in 8-bit units. */
const MAX_GRADIENT = 2 * 255;
/** Largest AV1 qindex and SVT-AV1 qp (CRF / QP setting). */
const MAX_QINDEX = 255;
const MAX_QP = 63;
/** frames_since_key is scaled by the key interval, or by this many frames without periodic key frames. */
const KEY_SPAN_WITHOUT_INTERVAL = 64;

/** Bounds are float32 values (observations are Float32Array): rounding a value inside the bounds to
 * float32 then cannot leave them. */
function fromAnalysis<N extends string>(name: N, source: AnalysisFeature, raw: [number, number], scale: (v: number) => number, doc: string) {
  return { name, source, scale, doc, low: Math.fround(scale(raw[0])), high: Math.fround(scale(raw[1])) } as const satisfies AnalysisFeatureSpec;
}

function feature<N extends string>(name: N, low: number, high: number, doc: string) {
  return { name, low, high, doc } as const satisfies FeatureSpec;
}

const logMad = (v: number) => Math.log1p(Math.max(0, v)) / LN256;

/** The analysis part of the superblock features, in lib/analysis/analysis.c order. */
const ANALYSIS_TABLE = [
  fromAnalysis("mean_luma", "meanLuma", [0, 255], (v) => v / 255, "mean luma of the superblock, 0..255 → /255"),
  fromAnalysis("log_variance", "lumaVariance", [0, MAX_VARIANCE], (v) => Math.log10(1 + Math.max(0, v)) / 4,
    "luma variance (8-bit units²) → log10(1 + v) / 4 (about 0.5..1 for textured content)"),
  fromAnalysis("temporal_mad", "temporalMad", [0, 255], logMad, "mean |cur - prev source frame| at the same place → ln(1 + mad) / ln(256)"),
  fromAnalysis("motion_x", "mvX", [-MOTION_SEARCH_RANGE, MOTION_SEARCH_RANGE], (v) => v / MOTION_SEARCH_RANGE,
    `content displacement since the previous source frame, pixels → / ${MOTION_SEARCH_RANGE} (the analysis' search range)`),
  fromAnalysis("motion_y", "mvY", [-MOTION_SEARCH_RANGE, MOTION_SEARCH_RANGE], (v) => v / MOTION_SEARCH_RANGE, "as motion_x, vertical"),
  fromAnalysis("mc_mad", "mcMad", [0, 255], logMad, "mean |cur - prev| after motion compensation → ln(1 + mad) / ln(256)"),
  fromAnalysis("gradient", "gradient", [0, MAX_GRADIENT], (v) => Math.log1p(Math.max(0, v)) / LN511, "mean |dI/dx| + |dI/dy| → ln(1 + g) / ln(511)"),
] as const;

/** Per-superblock features (the last axis of `superblocks`), in order. */
export const SUPERBLOCK_FEATURE_TABLE = [
  ...ANALYSIS_TABLE,
  feature("prev_distortion", -Infinity, Infinity,
    "distortion of this superblock in the previous encoded frame, scaled by the reward's metric (mse: log10(1+mse)/3, " +
      "ssim_box8: (1-ssim)*10; psnr and the whole-frame metrics ssim, ms_ssim, vmaf: the superblock's PSNR/50); 0 at start"),
  feature("prev_offset", -1, 1, "the qindex offset chosen here for the previous frame / max |action level|; 0 at start"),
] as const;

const lumaSpec = ANALYSIS_TABLE[0];
const madSpec = ANALYSIS_TABLE[2];
const varSpec = ANALYSIS_TABLE[1];

/** Whole-frame features (`frame`), in order. */
export const FRAME_FEATURE_TABLE = [
  feature("progress", 0, 1, "frames encoded so far / episode length"),
  feature("next_is_key", 0, 1, "1 if the frame to be encoded will be a key frame (first of the episode or key interval)"),
  feature("frames_since_key", 0, 1, `frames from the last key frame to the next frame / key interval (or /${KEY_SPAN_WITHOUT_INTERVAL}), capped at 1`),
  feature("next_mult_2", 0, 1, "1 if frames_since_key (unscaled) of the next frame is a multiple of 2; with next_mult_4 and next_mult_8 " +
    "these give the frame's place in SVT-AV1's low-delay temporal hierarchy (multiples of 4 are the base layer at 3 layers)"),
  feature("next_mult_4", 0, 1, "as next_mult_2, multiple of 4"),
  feature("next_mult_8", 0, 1, "as next_mult_2, multiple of 8"),
  feature("prev_is_key", 0, 1, "1 if the previous encoded frame was a key frame"),
  feature("prev_is_nonref", 0, 1, "1 if the previous frame was not a reference (frame type NON_REF: top layer)"),
  feature("prev_base_qindex", 0, 1, `the previous frame's base qindex (0..${MAX_QINDEX}) / ${MAX_QINDEX}`),
  feature("prev_bpp", 0, Infinity, "bits per pixel of the previous frame (usually 0..2; not clipped)"),
  feature("prev_distortion", -Infinity, Infinity, "previous frame's distortion, scaled like the per-superblock value"),
  feature("prev_mean_offset", -1, 1, "mean qindex offset of the previous action / max |action level|"),
  feature("rate_setting", 0, 1, `CRF or QP of the encoder settings / ${MAX_QP}; with cbr, the target bits per pixel per frame, capped at 1`),
  feature("frame_mean_luma", lumaSpec.low, lumaSpec.high, "mean luma of the frame to be encoded (scaled as mean_luma)"),
  feature("frame_temporal_mad", madSpec.low, madSpec.high, "its mean temporal MAD (scaled as temporal_mad)"),
  feature("next_temporal_layer", 0, 1, "temporal layer of the frame to be encoded / 2 (SVT-AV1 low delay: 0 base .. 2 top; key frames 0)"),
  feature("next_is_referenced", 0, 1, "1 if SVT-AV1's default codes it as a reference for later frames (0: NON_REF)"),
  feature("next_default_qindex", 0, 1, `the base qindex SVT-AV1's default gives it (its own encode of the window) / ${MAX_QINDEX}`),
  feature("frame_log_variance", varSpec.low, varSpec.high, "its mean spatial complexity: mean per-superblock log_variance (scaled as there)"),
  feature("budget_used", 0, Infinity, "budget mode: bits spent so far / the episode's budget (0 otherwise)"),
  feature("budget_left", -Infinity, 1, "budget mode: bits left / the budget (negative once overspent; 0 otherwise)"),
] as const;

export type SuperblockFeature = (typeof SUPERBLOCK_FEATURE_TABLE)[number]["name"];
export type FrameFeature = (typeof FRAME_FEATURE_TABLE)[number]["name"];

/** The names of `superblocks`' last axis and of `frame`, in order. */
export const SUPERBLOCK_FEATURES: readonly SuperblockFeature[] = Object.freeze(SUPERBLOCK_FEATURE_TABLE.map((f) => f.name));
export const FRAME_FEATURES: readonly FrameFeature[] = Object.freeze(FRAME_FEATURE_TABLE.map((f) => f.name));

function indexOf<N extends string>(names: readonly N[]): Readonly<Record<N, number>> {
  return Object.freeze(Object.fromEntries(names.map((n, i) => [n, i])) as Record<N, number>);
}
/** Position of each feature by name: `obs.superblocks[i * SB_F + SB.log_variance]`, `obs.frame[FR.prev_bpp]`. */
export const SB = indexOf(SUPERBLOCK_FEATURES);
export const FR = indexOf(FRAME_FEATURES);
export const SB_F = SUPERBLOCK_FEATURES.length;
export const FRAME_G = FRAME_FEATURES.length;
/** The analysis features come first in `superblocks`, in the analysis' own order. */
export const NUM_ANALYSIS = ANALYSIS_TABLE.length;
if (NUM_ANALYSIS !== ANALYSIS_FEATURE_COUNT || ANALYSIS_TABLE.some((f, i) => FEATURE[f.source] !== i))
  throw new Error("observation.ts: the analysis table does not follow src/analysis/analysis.ts's feature order");

export { KEY_SPAN_WITHOUT_INTERVAL, MAX_QINDEX, MAX_QP };

/** Bounds of `superblocks` (repeated for nSb superblocks) and of `frame`, from the tables. */
export function observationBounds(nSb: number): { sbLow: Float64Array; sbHigh: Float64Array; frameLow: Float64Array; frameHigh: Float64Array } {
  const sbLow = new Float64Array(nSb * SB_F);
  const sbHigh = new Float64Array(nSb * SB_F);
  for (let i = 0; i < nSb; i++)
    SUPERBLOCK_FEATURE_TABLE.forEach((f, k) => {
      sbLow[i * SB_F + k] = f.low;
      sbHigh[i * SB_F + k] = f.high;
    });
  return {
    sbLow,
    sbHigh,
    frameLow: Float64Array.from(FRAME_FEATURE_TABLE, (f) => f.low),
    frameHigh: Float64Array.from(FRAME_FEATURE_TABLE, (f) => f.high),
  };
}

/**
 * Turns raw analysis [nSb * NUM_ANALYSIS] into its scaled observation values, once per source frame (it
 * does not depend on actions, so the Env caches it).
 */
export function scaleAnalysisFrame(raw: Float32Array, nSb: number): Float32Array {
  const out = new Float32Array(nSb * NUM_ANALYSIS);
  for (let k = 0; k < NUM_ANALYSIS; k++) {
    const scale = ANALYSIS_TABLE[k]!.scale;
    for (let i = 0; i < nSb; i++) out[i * NUM_ANALYSIS + k] = scale(raw[i * NUM_ANALYSIS + k]!);
  }
  return out;
}
