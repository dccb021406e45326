/**
 * Reward = rate-distortion cost of one encoded frame.
 *
 *   absolute: r = -(D + lambda * R)
 *   baseline: r = (D0 + lambda * R0) - (D + lambda * R)
 *
 * R is bits per pixel (8 * bytes / (width * height)); D is the frame's distortion at the chosen metric,
 * lower is better:
 *   mse : luma mean squared error (sample units squared, 8-bit scale)             default lambda 50
 *   psnr: minus luma PSNR in dB (-PSNR_Y, capped as psnr(): 60 dB at 8-bit)         default lambda 10
 *   ssim: SSIM loss in percent, 100 * (1 - SSIM_Y) (libvmaf float_ssim, as ssim())  default lambda 5
 *   ssim_box8: as ssim, with the fast 8x8-window SSIM of ssim_box8.ts (not libvmaf's) default lambda 5
 *   ms_ssim: 100 * (1 - MS-SSIM_Y) (libvmaf float_ms_ssim, frames >= 176x176)      default lambda 2
 *   vmaf: 100 - VMAF (model vmaf_v0.6.1, causal: see makeVmaf)                      default lambda 20
 * The defaults make lambda * R and D change by similar amounts near CRF 35 (about "10 dB per bit per
 * pixel" for PSNR). D0, R0 come from the same window encoded with all-zero offsets (see Env: cached).
 *
 * A metric is a `Distortion`: other metrics (VMAF, MS-SSIM from the metrics module) plug in by
 * implementing it and passing the object as `reward.distortion`.
 */
import type { I420Frame } from "../core/frame";
import { InvalidArgumentError } from "../core/errors";
import { msSsim, ssim } from "../metrics/metrics";
import { psnrFromMse } from "../metrics/psnr_math";
import { VmafScorer, VmafModel, defaultModelPath } from "../metrics/vmaf";
import { ssimBox8 } from "./ssim_box8";

/** What a distortion metric sees for one encoded frame. */
export interface DistortionInput {
  source: I420Frame;
  recon: I420Frame;
  /** Whole-frame luma SSE (sum of squared differences). */
  sseY: number;
  /** Per-superblock luma SSE, row-major [sbRows * sbCols]. */
  sbSse: Float64Array;
  /** Luma samples in each superblock (edge superblocks are smaller). */
  sbPixels: Float64Array;
  sbRows: number;
  sbCols: number;
}

export interface Distortion {
  readonly name: string;
  /** Unit of D, for documentation and info. */
  readonly unit: string;
  readonly defaultLambda: number;
  /**
   * Returns the frame distortion D (lower is better) and writes the per-superblock distortion, scaled to
   * about unit range with `scale`'s mapping, into `sbOut` (length sbRows * sbCols).
   */
  measure(input: DistortionInput, sbOut: Float32Array): number;
  /** Maps a D value (frame or superblock) to the observation's unit-range scale. */
  scale(d: number): number;
  /** Called before a new sequence of frames (each episode, and the baseline run), for stateful metrics. */
  reset?(): void;
  /** Frees native resources; the Env calls it for distortions it created from a name. */
  close?(): void;
}

/** Luma MSE; 8-bit scale (10-bit MSE divided by 16). Observation scale log10(1 + mse) / 3. */
export const MSE: Distortion = {
  name: "mse",
  unit: "luma MSE (8-bit sample units squared)",
  defaultLambda: 50,
  measure(inp, sbOut) {
    const norm = inp.source.bitDepth > 8 ? 1 / (1 << (2 * (inp.source.bitDepth - 8))) : 1;
    for (let i = 0; i < sbOut.length; i++) sbOut[i] = this.scale((inp.sbSse[i]! / inp.sbPixels[i]!) * norm);
    return (inp.sseY / (inp.source.width * inp.source.height)) * norm;
  },
  scale: (d) => Math.log10(1 + d) / 3,
};

/** PSNR in the observation: dB / PSNR_SCALE (so about 0.6..1 for usual quality, at most 1.2 at the 60 dB cap). */
const PSNR_SCALE = 50;

/** Writes each superblock's PSNR / PSNR_SCALE into sbOut: the per-superblock map of psnr and of the
 * whole-frame metrics, which have none of their own. */
function superblockPsnrMap(inp: DistortionInput, sbOut: Float32Array): void {
  const depth = inp.source.bitDepth;
  for (let i = 0; i < sbOut.length; i++) sbOut[i] = psnrFromMse(inp.sbSse[i]! / inp.sbPixels[i]!, depth) / PSNR_SCALE;
}

/** D = -PSNR_Y (dB). Observation scale: PSNR / PSNR_SCALE. */
export const PSNR: Distortion = {
  name: "psnr",
  unit: "minus luma PSNR (dB)",
  defaultLambda: 10,
  measure(inp, sbOut) {
    superblockPsnrMap(inp, sbOut);
    return -psnrFromMse(inp.sseY / (inp.source.width * inp.source.height), inp.source.bitDepth);
  },
  scale: (d) => -d / PSNR_SCALE,
};

/**
 * D = 100 * (1 - SSIM_Y) with the fast 8x8-window SSIM (ssim_box8.ts, not libvmaf's); per-superblock map
 * from the same windows. Observation scale: (1 - SSIM) * 10, i.e. D / 10.
 */
export function makeSsimBox8(): Distortion {
  // Scratch buffers kept per instance (one per Env) so measuring allocates nothing after the first frame.
  let sum = new Float64Array(0);
  let cnt = new Float64Array(0);
  return {
    name: "ssim_box8",
    unit: "SSIM loss in percent, 100*(1 - SSIM_Y), 8x8 windows (ssim_box8)",
    defaultLambda: 5,
    measure(inp, sbOut) {
      if (sum.length !== sbOut.length) {
        sum = new Float64Array(sbOut.length);
        cnt = new Float64Array(sbOut.length);
      }
      const r = ssimBox8(inp.source, inp.recon, inp.sbCols, sum, cnt);
      for (let i = 0; i < sbOut.length; i++) sbOut[i] = cnt[i]! > 0 ? (1 - sum[i]! / cnt[i]!) * 10 : 0;
      return 100 * (1 - r.mean);
    },
    scale: (d) => d / 10,
  };
}

export const DISTORTION_NAMES = ["mse", "psnr", "ssim", "ssim_box8", "ms_ssim", "vmaf"] as const;
export type DistortionName = (typeof DISTORTION_NAMES)[number];

/** A fresh Distortion for a name (fresh because some keep scratch buffers); `vmafModel` is a model path. */
export function distortionByName(name: string, opts: { vmafModel?: string } = {}): Distortion {
  switch (name) {
    case "mse":
      return MSE;
    case "psnr":
      return PSNR;
    case "ssim":
      return makeSsim();
    case "ssim_box8":
      return makeSsimBox8();
    case "ms_ssim":
      return makeMsSsim();
    case "vmaf":
      return makeVmaf({ model: opts.vmafModel });
    default:
      throw new InvalidArgumentError(`unknown distortion "${name}"; use one of ${DISTORTION_NAMES.join(", ")} or pass a Distortion object`);
  }
}

/** Bits per pixel of a packet of `bytes` for a frame of width x height (luma samples). */
export function bitsPerPixel(bytes: number, width: number, height: number): number {
  return (8 * bytes) / (width * height);
}

/** Rate-distortion cost D + lambda * R. */
export function rdCost(d: number, bpp: number, lambda: number): number {
  return d + lambda * bpp;
}

export type RewardMode = "absolute" | "baseline";

/** The reward for a frame's cost, given the zero-offset cost at the same index in baseline mode. */
export function rewardFromCost(cost: number, mode: RewardMode, baselineCost?: number): number {
  if (mode === "absolute") return -cost;
  if (baselineCost === undefined) throw new InvalidArgumentError("baseline reward needs the baseline cost");
  return baselineCost - cost;
}

/**
 * Builds a Distortion from a whole-frame metric, e.g. the metrics module's MS-SSIM or a VMAF scorer:
 *   frameMetricDistortion("ms_ssim", (src, recon) => 100 * (1 - msSsim(src, recon)), { defaultLambda: 5 })
 * `fn` returns D (lower is better). Such metrics have no per-superblock map, so the observation's
 * per-superblock distortion is the superblock's PSNR / 50 (as for "psnr"); the frame-level observation
 * feature is `scale(D)` (default D / 100).
 */
export function frameMetricDistortion(
  name: string,
  fn: (source: I420Frame, recon: I420Frame) => number,
  opts: { unit?: string; defaultLambda?: number; scale?: (d: number) => number } = {},
): Distortion {
  if (typeof name !== "string" || !name) throw new InvalidArgumentError("frameMetricDistortion: name must be a non-empty string");
  if (typeof fn !== "function") throw new InvalidArgumentError("frameMetricDistortion: fn must be a function (source, recon) => D");
  const lambda = opts.defaultLambda ?? 10;
  if (!Number.isFinite(lambda) || lambda < 0) throw new InvalidArgumentError(`frameMetricDistortion: defaultLambda must be >= 0, got ${lambda}`);
  return {
    name,
    unit: opts.unit ?? name,
    defaultLambda: lambda,
    measure(inp, sbOut) {
      superblockPsnrMap(inp, sbOut);
      const d = fn(inp.source, inp.recon);
      if (typeof d !== "number" || Number.isNaN(d)) throw new InvalidArgumentError(`distortion "${name}" returned ${d}, not a number`);
      return d;
    },
    scale: opts.scale ?? ((d) => d / 100),
  };
}

/**
 * D = 100 * (1 - SSIM_Y) with the metrics module's libvmaf-exact float_ssim (the number `ssim()` gives).
 * It costs far more than `ssim_box8` (bench/env/reward_cost.bench.ts: +19 vs +1 ms a 640x272 step over the
 * psnr reward, on a machine with load 24) and has no per-superblock map: the observation's
 * per-superblock distortion is the superblock's PSNR / 50, as for the other whole-frame metrics.
 */
export function makeSsim(): Distortion {
  return frameMetricDistortion("ssim", (src, recon) => 100 * (1 - ssim(src, recon)), {
    unit: "SSIM loss in percent, 100*(1 - SSIM_Y) (libvmaf float_ssim)",
    defaultLambda: 5,
    scale: (d) => d / 10,
  });
}

/** D = 100 * (1 - MS-SSIM_Y) with the metrics module's libvmaf-exact MS-SSIM (5 scales: frames >= 176x176). */
export function makeMsSsim(): Distortion {
  return frameMetricDistortion(
    "ms_ssim",
    (src, recon) => {
      const v = msSsim(src, recon);
      if (Number.isNaN(v)) throw new InvalidArgumentError(`ms_ssim needs frames of at least 176x176, got ${src.width}x${src.height}`);
      return 100 * (1 - v);
    },
    { unit: "MS-SSIM loss in percent, 100*(1 - MS-SSIM_Y)", defaultLambda: 2, scale: (d) => d / 10 },
  );
}

/**
 * D = 100 - VMAF (vmaf_v0.6.1 by default, libvmaf-exact features from the metrics module). VMAF's motion
 * feature of frame i is min(motion[i], motion[i+1]) in libvmaf, which needs the next frame; a step's reward
 * must be known at that step, so here every frame is scored as libvmaf scores a clip's last frame
 * (motion2 = its own motion). The scorer follows the episode's source frames in order; `reset()` starts a
 * new sequence. Per-superblock observation: the superblock's PSNR / 50.
 */
export function makeVmaf(options: { model?: string; threads?: number } = {}): Distortion {
  // Loaded now, so a missing or malformed model is a typed error when the Env is built, not at a step.
  const model = VmafModel.load(options.model ?? defaultModelPath());
  let scorer: VmafScorer | null = null;
  const base = frameMetricDistortion(
    "vmaf",
    (src, recon) => {
      if (!scorer || scorer.width !== src.width || scorer.height !== src.height) {
        scorer?.close();
        scorer = new VmafScorer({ width: src.width, height: src.height, bitDepth: src.bitDepth, models: model, threads: options.threads ?? 1 });
      }
      const results = [...scorer.push(src, recon), ...scorer.flush()];
      return 100 - results[results.length - 1]!.vmaf;
    },
    { unit: `100 - VMAF (${model.name})`, defaultLambda: 20, scale: (d) => d / 100 },
  );
  return {
    ...base,
    reset() {
      scorer?.close();
      scorer = null;
    },
    close() {
      scorer?.close();
      scorer = null;
      model.close();
    },
  };
}
