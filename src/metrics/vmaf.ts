/**
 * VMAF in av1gym: the integer features of libvmaf 3.2.0 (ADM, VIF, motion) computed in C, the SVM of a libvmaf
 * JSON model, a streaming scorer (motion2 for frame i needs frame i+1) and libvmaf-style pooling and JSON.
 */
import { ptr, type Pointer } from "bun:ffi";
import type { z } from "zod";
import { lazySchema } from "../core/validation";
import { metricsChecks, metricsNative as native } from "../native/ffi";
import { VF, VMAF } from "../native/abi";
import { NativeHandle } from "../native/handle";
import { InvalidArgumentError, StateError } from "../core/errors";
import { validateI420, type I420Frame } from "../core/frame";
import { checkPair, msSsim, psnr, ssim } from "./metrics";
import { defaultModelPath, toModel, VmafModel } from "./vmaf_model";

export { VmafModel, defaultModelPath } from "./vmaf_model";
// the metrics-only library: scoring never loads libav or SVT-AV1 (src/native/ffi.ts)
const { check, checkHandle } = metricsChecks;

const FLAG_NEG = VMAF.NEG;
const FLAG_RESET = VMAF.RESET;

/** The per-frame VMAF features (libvmaf's integer features). */
export interface VmafFeatures {
  adm2: number;
  adm_scale0: number;
  adm_scale1: number;
  adm_scale2: number;
  adm_scale3: number;
  vif_scale0: number;
  vif_scale1: number;
  vif_scale2: number;
  vif_scale3: number;
  /** Motion against the previous reference frame (0 without one). */
  motion: number;
  /** With enhancement gain limit 1 (what vmaf_v0.6.1neg uses); present when asked for. */
  egl1?: Omit<VmafFeatures, "motion" | "egl1">;
}

/** adm2 + 4 ADM scales from `a`, 4 VIF scales from `v` (the C layout, VF.* in the header). */
function admVif(o: Float64Array, a: number, v: number): Omit<VmafFeatures, "motion" | "egl1"> {
  return {
    adm2: o[a]!, adm_scale0: o[a + 1]!, adm_scale1: o[a + 2]!, adm_scale2: o[a + 3]!, adm_scale3: o[a + 4]!,
    vif_scale0: o[v]!, vif_scale1: o[v + 1]!, vif_scale2: o[v + 2]!, vif_scale3: o[v + 3]!,
  };
}

function unpack(o: Float64Array, neg: boolean): VmafFeatures {
  const f: VmafFeatures = { ...admVif(o, VF.ADM2, VF.VIF_SCALE0), motion: o[VF.MOTION]! };
  if (neg) f.egl1 = admVif(o, VF.EGL1_ADM2, VF.EGL1_VIF_SCALE0);
  return f;
}

const freeContext = (h: Pointer) => native().ag_vmaf_free(h);

/** A native feature context for one frame size and bit depth (freed when collected if never closed). */
class FeatureContext extends NativeHandle {
  readonly out = new Float64Array(VF.COUNT);
  /** Frames that may be in flight (submit/collect); 0: one frame at a time (compute). */
  readonly depth: number;
  constructor(readonly width: number, readonly height: number, readonly bitDepth: number, threads: number) {
    super("VmafContext", checkHandle(native().ag_vmaf_new(width, height, bitDepth, threads) as Pointer | null, "vmaf"), freeContext);
    this.depth = native().ag_vmaf_queue_depth(this.handle("depth"));
  }
  /** Frame mode: copies the luma planes and returns; the features come from collect(), in order. */
  submit(ref: I420Frame, dis: I420Frame, flags: number): void {
    check(native().ag_vmaf_submit(this.handle("submit"), ptr(ref.y), ref.strideY, ptr(dis.y), dis.strideY, flags), "vmaf");
  }
  /** Waits for the oldest submitted frame's features. */
  collect(neg: boolean): VmafFeatures {
    check(native().ag_vmaf_collect(this.handle("collect"), ptr(this.out), this.out.length), "vmaf");
    return unpack(this.out, neg);
  }
  compute(ref: I420Frame, dis: I420Frame, flags: number): VmafFeatures {
    const h = this.handle("compute");
    check(native().ag_vmaf_features(h, ptr(ref.y), ref.strideY, ptr(dis.y), dis.strideY, flags, ptr(this.out), this.out.length), "vmaf");
    return unpack(this.out, (flags & FLAG_NEG) !== 0);
  }
  setPrev(ref: I420Frame): void {
    check(native().ag_vmaf_set_prev(this.handle("setPrev"), ptr(ref.y), ref.strideY), "vmaf");
  }
}

let cached: FeatureContext | null = null;

/**
 * The VMAF features of one frame pair. `prevRef` (the previous reference frame) gives `motion`; motion2,
 * which needs the next frame too, is only available from VmafScorer. `neg: true` adds the egl-1 features.
 */
export function vmafFeatures(ref: I420Frame, dis: I420Frame, opts: { prevRef?: I420Frame; neg?: boolean } = {}): VmafFeatures {
  const bd = checkPair(ref, dis);
  if (!cached || cached.width !== ref.width || cached.height !== ref.height || cached.bitDepth !== bd) {
    cached?.close();
    cached = new FeatureContext(ref.width, ref.height, bd, 1);
  }
  let flags = opts.neg ? FLAG_NEG : 0;
  if (opts.prevRef) {
    validateI420(opts.prevRef, { width: ref.width, height: ref.height, bitDepth: bd });
    cached.setPrev(opts.prevRef);
  } else flags |= FLAG_RESET;
  return cached.compute(ref, dis, flags);
}

/** A model option: a path or a loaded model (for the schemas here and scoreFiles'). */
export const modelSpec = (z: typeof import("zod").z) =>
  z.union([z.string().min(1), z.custom<VmafModel>((m) => m instanceof VmafModel, "expected a model path or a VmafModel")]);

export const vmafScorerOptionsSchema = lazySchema((z) => {
  const ModelSpec = modelSpec(z);
  return z
    .object({
      width: z.number().int().positive().max(16384),
      height: z.number().int().positive().max(16384),
      bitDepth: z.number().int().min(8).max(16).default(8),
      /** Model paths or loaded models; the first one's score is `vmaf`. Default: defaultModelPath(). */
      models: z.union([ModelSpec, z.array(ModelSpec).min(1)]).optional(),
      /**
       * Native threads for the features: small frames are scored several at once (each thread takes whole frames,
       * so results trail by up to `threads` more frames), large ones split between the threads.
       */
      threads: z.number().int().min(1).max(64).default(1),
      psnr: z.boolean().default(false),
      ssim: z.boolean().default(false),
      msSsim: z.boolean().default(false),
    })
    .strict();
});
export type VmafScorerOptions = z.input<ReturnType<typeof vmafScorerOptionsSchema>>;
/** VmafScorerOptions once checked, defaults filled in. */
export type CheckedVmafScorerOptions = z.output<ReturnType<typeof vmafScorerOptionsSchema>>;

/** One scored frame. `metrics` uses the names of libvmaf's JSON (integer_adm2, integer_motion2, vmaf, psnr_y ...). */
export interface VmafFrameResult {
  frameNum: number;
  /** Score of the first model. */
  vmaf: number;
  metrics: Record<string, number>;
}

/** Parses options with zod and turns failures into InvalidArgumentError. */
export function parseOptions<T extends z.ZodTypeAny>(schema: T, value: unknown, what: string): z.output<T> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join(".") || "(options)"}: ${i.message}`).join("; ");
    throw new InvalidArgumentError(`invalid ${what}: ${msg}`);
  }
  return r.data;
}

/** False only inside VmafScorer.fromChecked. */
let checking = true;

/**
 * Streaming VMAF: push frame pairs in order and get per-frame results as soon as they are complete
 * (motion2 of frame i needs frame i+1, so results trail by one frame; frame 0 is complete at once);
 * flush() returns the rest.
 */
export class VmafScorer {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  readonly models: VmafModel[];
  #ownModels: VmafModel[] = [];
  #ctx: FeatureContext | null;
  #opts: CheckedVmafScorerOptions;
  #neg: boolean;
  #pending: { frameNum: number; f: VmafFeatures; extra: Record<string, number> } | null = null;
  /** Frame mode: submitted frames whose features are not collected yet, oldest first. */
  #inFlight: { frameNum: number; extra: Record<string, number> }[] = [];
  #prevMotion = 0;
  #count = 0;

  constructor(options: VmafScorerOptions) {
    this.#opts = checking ? parseOptions(vmafScorerOptionsSchema(), options, "VmafScorer options") : (options as CheckedVmafScorerOptions);
    const o = this.#opts;
    this.width = o.width;
    this.height = o.height;
    this.bitDepth = o.bitDepth;
    const specs = o.models === undefined ? [defaultModelPath()] : Array.isArray(o.models) ? o.models : [o.models];
    try {
      this.models = specs.map((m) => {
        const model = toModel(m);
        if (typeof m === "string") this.#ownModels.push(model);
        return model;
      });
      this.#neg = this.models.some((m) => m.enhancementGainLimit === 1);
      this.#ctx = new FeatureContext(o.width, o.height, o.bitDepth, o.threads);
    } catch (e) {
      for (const m of this.#ownModels) m.close();
      throw e;
    }
  }

  /**
   * A scorer from options already checked against the schema (scoreFiles parses its own, and the CLI checks
   * its arguments): no second parse, and no zod on the CLI's path.
   */
  static fromChecked(options: CheckedVmafScorerOptions): VmafScorer {
    checking = false;
    try {
      return new VmafScorer(options);
    } finally {
      checking = true;
    }
  }

  /** Frames pushed so far. */
  get count(): number {
    return this.#count;
  }

  /**
   * Scores one frame pair; returns the results that became complete (0 or 1 frames): with one thread frame 0
   * at once, then one behind; when frames are scored several at once (threads >= 2, small frames), up to
   * `threads` + 1 more behind.
   */
  push(ref: I420Frame, dis: I420Frame): VmafFrameResult[] {
    const ctx = this.#ctx;
    if (!ctx) throw new StateError("VmafScorer is closed");
    validateI420(ref, { width: this.width, height: this.height, bitDepth: this.bitDepth });
    validateI420(dis, { width: this.width, height: this.height, bitDepth: this.bitDepth });
    const flags = (this.#neg ? FLAG_NEG : 0) | (this.#count === 0 ? FLAG_RESET : 0);
    const out: VmafFrameResult[] = [];
    const frameNum = this.#count;
    if (ctx.depth === 0) {
      const f = ctx.compute(ref, dis, flags);
      this.#count++;
      this.#complete(frameNum, f, this.#extra(ref, dis), out);
      return out;
    }
    if (this.#inFlight.length >= ctx.depth) {
      const q = this.#inFlight.shift()!;
      this.#complete(q.frameNum, ctx.collect(this.#neg), q.extra, out);
    }
    ctx.submit(ref, dis, flags);
    this.#count++;
    // PSNR / SSIM on this thread while the workers score the VMAF features
    this.#inFlight.push({ frameNum, extra: this.#extra(ref, dis) });
    return out;
  }

  #extra(ref: I420Frame, dis: I420Frame): Record<string, number> {
    const extra: Record<string, number> = {};
    if (this.#opts.psnr) {
      const p = psnr(ref, dis);
      extra.psnr_y = p.y;
      extra.psnr_cb = p.cb;
      extra.psnr_cr = p.cr;
    }
    if (this.#opts.ssim) extra.float_ssim = ssim(ref, dis);
    if (this.#opts.msSsim) extra.float_ms_ssim = msSsim(ref, dis);
    return extra;
  }

  /** A frame's features arrived (in order): the previous frame is now complete (its motion2 needs this motion). */
  #complete(frameNum: number, f: VmafFeatures, extra: Record<string, number>, out: VmafFrameResult[]): void {
    if (this.#pending) out.push(this.#finish(this.#pending, Math.min(this.#prevMotion, f.motion)));
    if (frameNum === 0) {
      // motion[0] = 0, so motion2[0] = min(0, motion[1]) = 0: complete now.
      out.push(this.#finish({ frameNum, f, extra }, 0));
      this.#pending = null;
    } else {
      this.#pending = { frameNum, f, extra };
    }
    this.#prevMotion = f.motion;
  }

  /** Completes the frames still in flight and the last one (its motion2 is its own motion, as libvmaf). */
  flush(): VmafFrameResult[] {
    const ctx = this.#ctx;
    if (!ctx) throw new StateError("VmafScorer is closed");
    const out: VmafFrameResult[] = [];
    while (this.#inFlight.length > 0) {
      const q = this.#inFlight.shift()!;
      this.#complete(q.frameNum, ctx.collect(this.#neg), q.extra, out);
    }
    const p = this.#pending;
    this.#pending = null;
    if (p) out.push(this.#finish(p, p.f.motion));
    return out;
  }

  #finish(p: { frameNum: number; f: VmafFeatures; extra: Record<string, number> }, motion2: number): VmafFrameResult {
    const f = p.f;
    const m: Record<string, number> = {
      integer_adm2: f.adm2,
      integer_adm_scale0: f.adm_scale0,
      integer_adm_scale1: f.adm_scale1,
      integer_adm_scale2: f.adm_scale2,
      integer_adm_scale3: f.adm_scale3,
      integer_motion2: motion2,
      integer_motion: f.motion,
      integer_vif_scale0: f.vif_scale0,
      integer_vif_scale1: f.vif_scale1,
      integer_vif_scale2: f.vif_scale2,
      integer_vif_scale3: f.vif_scale3,
    };
    if (f.egl1) {
      const g = f.egl1;
      Object.assign(m, {
        integer_adm2_egl_1: g.adm2,
        integer_adm_scale0_egl_1: g.adm_scale0,
        integer_adm_scale1_egl_1: g.adm_scale1,
        integer_adm_scale2_egl_1: g.adm_scale2,
        integer_adm_scale3_egl_1: g.adm_scale3,
        integer_vif_scale0_egl_1: g.vif_scale0,
        integer_vif_scale1_egl_1: g.vif_scale1,
        integer_vif_scale2_egl_1: g.vif_scale2,
        integer_vif_scale3_egl_1: g.vif_scale3,
      });
    }
    Object.assign(m, p.extra);
    let first = NaN;
    this.models.forEach((model, k) => {
      const src = model.enhancementGainLimit === 1 && f.egl1 ? f.egl1 : f;
      const score = model.predict({
        adm2: src.adm2, motion2,
        vif_scale0: src.vif_scale0, vif_scale1: src.vif_scale1, vif_scale2: src.vif_scale2, vif_scale3: src.vif_scale3,
      });
      if (k === 0) first = score;
      m[k === 0 ? "vmaf" : model.name] = score;
    });
    return { frameNum: p.frameNum, vmaf: first, metrics: m };
  }

  get closed(): boolean {
    return this.#ctx === null;
  }

  close(): void {
    this.#ctx?.close();
    this.#ctx = null;
    this.#inFlight = [];
    this.#pending = null;
    for (const m of this.#ownModels) m.close();
    this.#ownModels = [];
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

// ---------------------------------------------------------------- pooling and libvmaf JSON

export interface PooledMetric {
  min: number;
  max: number;
  mean: number;
  /** libvmaf's: 1 / mean(1 / (x + 1)) - 1. */
  harmonic_mean: number;
}

/** min, max, mean and libvmaf's harmonic mean of a list of per-frame values. */
export function pool(values: number[]): PooledMetric {
  if (values.length === 0) return { min: NaN, max: NaN, mean: NaN, harmonic_mean: NaN };
  let min = Infinity, max = -Infinity, sum = 0, inv = 0;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
    inv += 1 / (v + 1);
  }
  return { min, max, mean: sum / values.length, harmonic_mean: values.length / inv - 1 };
}

/** The p-th percentile (0..100) with linear interpolation between ranks (as numpy's default). */
export function percentile(values: number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new InvalidArgumentError(`percentile must be in 0..100 (got ${p})`);
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = (p / 100) * (s.length - 1);
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/** Pooled statistics of every metric over frames, keyed like libvmaf's pooled_metrics. */
export function poolFrames(frames: VmafFrameResult[]): Record<string, PooledMetric> {
  const keys = new Set<string>();
  for (const f of frames) for (const k of Object.keys(f.metrics)) keys.add(k);
  const out: Record<string, PooledMetric> = {};
  for (const k of keys) out[k] = pool(frames.map((f) => f.metrics[k]).filter((v): v is number => v !== undefined && Number.isFinite(v)));
  return out;
}

/**
 * The JSON document the `vmaf` tool writes (version, fps, frames[{frameNum, metrics}], pooled_metrics,
 * aggregate_metrics). `fps` is, as there, the scoring speed in frames per second.
 */
export function toLibvmafJson(frames: VmafFrameResult[], extra: { fps?: number } = {}): object {
  const round = (x: number) => (Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : null);
  const roundAll = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, round(v)]));
  const pooled = poolFrames(frames);
  return {
    version: "av1gym (libvmaf 3.2.0 integer features)",
    ...(extra.fps !== undefined ? { fps: round(extra.fps) } : {}),
    frames: frames.map((f) => ({ frameNum: f.frameNum, metrics: roundAll(f.metrics) })),
    pooled_metrics: Object.fromEntries(Object.entries(pooled).map(([k, v]) => [k, roundAll(v as unknown as Record<string, number>)])),
    aggregate_metrics: {},
  };
}
