/**
 * Per-superblock (64x64 luma) analysis of source frames, computed in C (lib/analysis/analysis.c), and per-superblock
 * distortion between two frames. 8-bit frames, or 10-bit (Uint16Array planes): the analysis is then in
 * 8-bit units (samples rounded to 8 bits first), the SSE in the frames' own units.
 */
import { native, check } from "../native/ffi";
import { InvalidArgumentError } from "../core/errors";
import { validateI420, type I420Frame } from "../core/frame";

/** Superblock size in luma samples (SVT-AV1 uses 64x64 superblocks at the presets used here). */
export const SB_SIZE = 64;

/**
 * Feature order of the last axis of `Analysis.data`. Units (all over the superblock's valid area; partial
 * superblocks at the right/bottom edge are measured over the samples inside the frame):
 * - `meanLuma`: mean luma, 0..255 (8-bit units).
 * - `lumaVariance`: luma variance, (8-bit units)^2 (population variance; 0 for a flat block).
 * - `temporalMad`: mean |cur - prev| at the same position, 8-bit units (0 without a previous frame).
 * - `mvX`, `mvY`: block-matching motion vector in whole pixels: the displacement of the block's content
 *   since the previous frame (content at (x, y) in prev is at (x + mvX, y + mvY) now). Coarse-to-fine
 *   search up to +-MOTION_SEARCH_RANGE px (+-8 samples at quarter resolution, then +-2 at half, +-1 at full).
 *   0 without a previous frame.
 * - `mcMad`: mean |cur - prev| after motion compensation with (mvX, mvY), 8-bit units.
 * - `gradient`: gradient energy, mean over the block of |I(x+1,y) - I(x,y)| + |I(x,y+1) - I(x,y)|
 *   (forward differences; a difference whose neighbour lies outside the frame counts as 0), 8-bit units.
 */
export const ANALYSIS_FEATURES = ["meanLuma", "lumaVariance", "temporalMad", "mvX", "mvY", "mcMad", "gradient"] as const;
export type AnalysisFeature = (typeof ANALYSIS_FEATURES)[number];
/** Index of each feature in the last axis: `data[(row * cols + col) * F + FEATURE.mvX]`. */
export const FEATURE: Readonly<Record<AnalysisFeature, number>> = Object.freeze(
  Object.fromEntries(ANALYSIS_FEATURES.map((n, i) => [n, i])) as Record<AnalysisFeature, number>,
);
/**
 * Largest |mvX| or |mvY| the analysis can report, in pixels: lib/analysis/analysis.c searches +-8 samples at
 * quarter resolution (32 px), then refines +-2 at half (4 px) and +-1 at full resolution (1 px).
 */
export const MOTION_SEARCH_RANGE = 8 * 4 + 2 * 2 + 1;

/** Number of features per superblock (F). */
export const ANALYSIS_FEATURE_COUNT = ANALYSIS_FEATURES.length;

/** Per-superblock analysis: `data` is a Float32Array laid out [rows, cols, features] (row-major). */
export interface Analysis {
  rows: number;
  cols: number;
  features: readonly string[];
  data: Float32Array;
}

/** Superblock grid of a frame size: cols = ceil(width / 64), rows = ceil(height / 64). */
export function superblockGrid(width: number, height: number): { cols: number; rows: number } {
  return { cols: Math.ceil(width / SB_SIZE), rows: Math.ceil(height / SB_SIZE) };
}

function depthOf(f: I420Frame, what: string): number {
  const d = f.bitDepth ?? 8;
  if (!Number.isInteger(d) || d < 8 || d > 16) throw new InvalidArgumentError(`${what}: bit depth ${d} is outside 8..16`);
  return d;
}

/**
 * Analyses `cur` (against `prev`, the previous source frame, when given) per 64x64 superblock. Pass `out`
 * (a Float32Array of at least rows*cols*F) to reuse a buffer.
 */
export function analyzeFrame(cur: I420Frame, prev: I420Frame | null, out?: Float32Array): Analysis {
  validateI420(cur);
  const depth = depthOf(cur, "analyzeFrame");
  if (prev) validateI420(prev, { width: cur.width, height: cur.height, bitDepth: depth });
  const { cols, rows } = superblockGrid(cur.width, cur.height);
  const n = rows * cols * ANALYSIS_FEATURE_COUNT;
  if (out !== undefined && (!(out instanceof Float32Array) || out.length < n))
    throw new InvalidArgumentError(`analyzeFrame: out must be a Float32Array of at least ${n} values`);
  const data = out ?? new Float32Array(n);
  check(
    native().ag_analyze_frame(
      cur.y,
      cur.strideY,
      prev ? prev.y : null,
      prev ? prev.strideY : 0,
      cur.width,
      cur.height,
      depth,
      data,
      data.length,
    ),
    "analyzeFrame",
  );
  return { rows, cols, features: ANALYSIS_FEATURES, data };
}

/** Sum of squared errors per plane, and luma SSE per 64x64 superblock (row-major, Float64Array). */
export interface SseResult {
  y: number;
  u: number;
  v: number;
  rows: number;
  cols: number;
  /** Luma SSE of each superblock, row-major; sums to `y`. */
  superblocks: Float64Array;
}

/**
 * SSE between two I420 frames of the same size and bit depth, in their sample units: per plane and per
 * luma superblock. `out` (a Float64Array of at least rows*cols) is reused for the superblock values.
 */
export function superblockSse(a: I420Frame, b: I420Frame, out?: Float64Array): SseResult {
  validateI420(a);
  const depth = depthOf(a, "superblockSse");
  validateI420(b, { width: a.width, height: a.height, bitDepth: depth });
  const { cols, rows } = superblockGrid(a.width, a.height);
  if (out !== undefined && (!(out instanceof Float64Array) || out.length < rows * cols))
    throw new InvalidArgumentError(`superblockSse: out must be a Float64Array of at least ${rows * cols} values`);
  const sb = out ?? new Float64Array(rows * cols);
  const planes = new Float64Array(3);
  check(
    native().ag_frame_sse(
      a.y, a.strideY, a.u, a.strideU, a.v, a.strideV,
      b.y, b.strideY, b.u, b.strideU, b.v, b.strideV,
      a.width, a.height, depth, planes, planes.length, sb, sb.length,
    ),
    "superblockSse",
  );
  return { y: planes[0]!, u: planes[1]!, v: planes[2]!, rows, cols, superblocks: sb };
}
