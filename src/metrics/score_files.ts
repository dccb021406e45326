/**
 * scoreFiles: VMAF (and optionally PSNR / SSIM / MS-SSIM) of a distorted video against its reference, over
 * two VideoReaders, with pooling and libvmaf's JSON layout.
 */
import type { z } from "zod";
import { lazySchema } from "../core/validation";
import { FileError, InvalidArgumentError } from "../core/errors";
import { extName } from "../core/paths";
import type { VideoReader } from "../io/reader";
import { openYuvFile } from "../io/yuv_file";
import type { I420Frame } from "../core/frame";
import { modelSpec, parseOptions, percentile, pool, poolFrames, toLibvmafJson, VmafScorer, type PooledMetric, type VmafFrameResult } from "./vmaf";

const RAW = new Set([".yuv", ".raw"]);

export const scoreFilesOptionsSchema = lazySchema((z) =>
  z
    .object({
      /** Model paths or loaded models (default: defaultModelPath()); the first one gives `vmaf`. */
      models: z.union([modelSpec(z), z.array(modelSpec(z)).min(1)]).optional(),
      /** Score only the first N frames. */
      frames: z.number().int().positive().optional(),
      /** Native threads for the VMAF features. */
      threads: z.number().int().min(1).max(64).default(1),
      psnr: z.boolean().default(false),
      ssim: z.boolean().default(false),
      msSsim: z.boolean().default(false),
      /** For raw .yuv inputs: frame size and FFmpeg pixel format (yuv420p, yuv420p10le). */
      width: z.number().int().positive().optional(),
      height: z.number().int().positive().optional(),
      pixelFormat: z.string().min(1).optional(),
      /** Percentiles (0..100) of each metric to add to `pooled` (e.g. [5, 50]). */
      percentiles: z.array(z.number().min(0).max(100)).default([]),
      /** Write libvmaf's JSON layout to this path. */
      json: z.string().min(1).optional(),
      /** Called with each frame's result as soon as it is complete. */
      onFrame: z.function().optional(),
    })
    .strict(),
);
export type ScoreFilesOptions = Omit<z.input<ReturnType<typeof scoreFilesOptionsSchema>>, "onFrame"> & {
  onFrame?: (r: VmafFrameResult) => void;
};

export interface ScoreFilesResult {
  frames: VmafFrameResult[];
  /** Per metric: min, max, mean, harmonic_mean and the requested percentiles (as "p5", "p50" ...). */
  pooled: Record<string, PooledMetric & Record<string, number>>;
  /** Pooled score of the first model. */
  vmaf: PooledMetric & Record<string, number>;
  refFrameCount: number;
  disFrameCount: number;
  /** Frames scored: the common prefix of both inputs (or `frames`). */
  scored: number;
  /** True when the inputs differ in length and only the common prefix was scored. */
  lengthMismatch: boolean;
}

/** What scoring needs of an input: a YuvFile (raw or Y4M 4:2:0, no native library) or a VideoReader. */
interface Input {
  width: number;
  height: number;
  bitDepth: number;
  frameCount: number;
  /** lumaOnly: the chroma planes may be left unread (a YuvFile does so) */
  frames(end: number, lumaOnly: boolean): Iterator<I420Frame>;
  close(): void;
}

function openReader(path: string, o: { width?: number; height?: number; pixelFormat?: string }): Input {
  const raw = RAW.has(extName(path).toLowerCase());
  if (raw && (o.width === undefined || o.height === undefined))
    throw new InvalidArgumentError(`${path} is raw YUV: give width and height (and pixelFormat for 10-bit, e.g. yuv420p10le)`);
  const plain = openYuvFile(path, { raw, width: o.width, height: o.height, pixelFormat: o.pixelFormat ?? "yuv420p" });
  if (plain) return plain;
  // a container (or a file YuvFile does not take): decoded through libav, which is loaded only now
  const { VideoReader: Reader } = require("../io/reader") as { VideoReader: typeof VideoReader };
  const r = raw ? new Reader(path, { width: o.width, height: o.height, pixelFormat: o.pixelFormat ?? "yuv420p" }) : new Reader(path);
  return {
    width: r.width, height: r.height, bitDepth: r.metadata.outputBitDepth, frameCount: r.frameCount,
    frames: (end) => r.frames({ end, reuse: true }), close: () => r.close(),
  };
}

/** Scores `dis` against `ref` frame by frame (common prefix when lengths differ). */
export function scoreFiles(ref: string, dis: string, options: ScoreFilesOptions = {}): ScoreFilesResult {
  for (const [n, p] of [["ref", ref], ["dis", dis]] as const)
    if (typeof p !== "string" || p.length === 0) throw new InvalidArgumentError(`scoreFiles: ${n} must be a file path`);
  return scoreCheckedFiles(ref, dis, parseOptions(scoreFilesOptionsSchema(), options, "scoreFiles options"));
}

/** ScoreFilesOptions once checked, defaults filled in. */
export type CheckedScoreFilesOptions = Omit<z.output<ReturnType<typeof scoreFilesOptionsSchema>>, "onFrame"> & { onFrame?: (r: VmafFrameResult) => void };

/** scoreFiles with options already checked (the CLI checks its own arguments, so its start-up loads no zod). */
export function scoreCheckedFiles(ref: string, dis: string, o: CheckedScoreFilesOptions): ScoreFilesResult {
  const r = openReader(ref, o);
  let d: Input | null = null;
  let scorer: VmafScorer | null = null;
  try {
    d = openReader(dis, o);
    if (r.width !== d.width || r.height !== d.height)
      throw new InvalidArgumentError(`reference is ${r.width}x${r.height} but distorted is ${d.width}x${d.height}`);
    const bd = r.bitDepth;
    if (d.bitDepth !== bd) throw new InvalidArgumentError(`reference is ${bd}-bit but distorted is ${d.bitDepth}-bit`);
    const common = Math.min(r.frameCount, d.frameCount);
    const n = Math.min(common, o.frames ?? Infinity);
    scorer = VmafScorer.fromChecked({
      width: r.width, height: r.height, bitDepth: bd, threads: o.threads,
      psnr: o.psnr, ssim: o.ssim, msSsim: o.msSsim, ...(o.models !== undefined ? { models: o.models } : {}),
    });
    const frames: VmafFrameResult[] = [];
    const t0 = performance.now();
    const emit = (rs: VmafFrameResult[]) => {
      for (const x of rs) {
        frames.push(x);
        o.onFrame?.(x);
      }
    };
    // only PSNR reads chroma: without it the raw/Y4M inputs' chroma is not read at all
    const ri = r.frames(n, !o.psnr);
    const di = d.frames(n, !o.psnr);
    for (let i = 0; i < n; i++) {
      const a = ri.next(), b = di.next();
      if (a.done || b.done) break;
      emit(scorer.push(a.value, b.value));
    }
    emit(scorer.flush());
    const pooled: ScoreFilesResult["pooled"] = {};
    for (const [k, v] of Object.entries(poolFrames(frames))) {
      const vals = frames.map((f) => f.metrics[k]).filter((x): x is number => x !== undefined);
      const extra: Record<string, number> = {};
      for (const p of o.percentiles) extra[`p${p}`] = percentile(vals, p);
      pooled[k] = { ...v, ...extra };
    }
    const result: ScoreFilesResult = {
      frames,
      pooled,
      vmaf: pooled.vmaf ?? { ...pool([]) },
      refFrameCount: r.frameCount,
      disFrameCount: d.frameCount,
      scored: frames.length,
      lengthMismatch: r.frameCount !== d.frameCount,
    };
    if (o.json) {
      try {
        // as the vmaf tool, "fps" is the scoring speed (frames per second of processing)
        const secs = Math.max(1e-9, (performance.now() - t0) / 1000);
        // node:fs only now: importing it costs a scoring run without --json ~10 ms of start-up (src/core/paths.ts)
        const { writeFileSync } = require("node:fs") as typeof import("node:fs");
        writeFileSync(o.json, JSON.stringify(toLibvmafJson(frames, { fps: frames.length / secs }), null, 2) + "\n");
      } catch (e) {
        throw new FileError(`cannot write ${o.json}: ${(e as Error).message}`, { cause: e });
      }
    }
    return result;
  } finally {
    scorer?.close();
    d?.close();
    r.close();
  }
}
