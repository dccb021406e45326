/**
 * Av1Encoder: one SVT-AV1 encoder session (2.3, 3.x or 4.x, whichever the shim was built against) over the
 * C shim (lib/codec/svt.c).
 *
 * Low delay (the default) is synchronous: `encode()` sends the picture and returns its packet. Random
 * access holds pictures back for a mini-GOP; `flush()` returns the rest. Per-64x64 qindex offsets reach
 * SVT-AV1 as ROI-map events (AV1 segmentation: at most 8 distinct values per frame), either per call
 * (`encode(frame, { qpOffsets })`) or from a delta-QP hook (`onDeltaQ`) that C calls synchronously, on
 * the JS thread, inside `encode()`, with this frame's per-superblock analysis.
 */
import { JSCallback, FFIType, type Pointer } from "bun:ffi";
import { z } from "zod";
import { native, check, checkHandle } from "../native/ffi";
import { AG, ENC, PI, SI, ET, AF, SVT_KEY } from "../native/abi";
import { withConfig } from "../native/config";
import { NativeHandle } from "../native/handle";
import { CallbackError, InvalidArgumentError, StateError, Av1GymError } from "../core/errors";
import { allocI420, validateI420, type I420Frame } from "../core/frame";
import type { Rational } from "../core/rational";
import { ANALYSIS_FEATURES, superblockGrid, type Analysis } from "../analysis/analysis";
import { IvfMuxer } from "../io/ivf";
import type { Muxer } from "../io/muxer";
import { ReconPairer, type Reconstruction } from "./recon";
import { encoderSettingsShape, rateControlOf, refineEncoderSettings, type RateControl } from "./settings";
import type { Av1PacketInfo, FrameEncodeOptions, Encoder, FrameType, Packet } from "./packet";

/** Whether an ArrayBuffer was detached (`transfer()`): its storage may have been freed under C's feet. */
const isDetached = (b: ArrayBufferLike): boolean => (b as ArrayBuffer).detached === true;

const int = (what: string) => z.number({ invalid_type_error: `${what} must be a number` }).int(`${what} must be an integer`);

const EncoderOptions = z
  .object({
    width: int("width")
      .min(64, "SVT-AV1 needs a width of at least 64")
      .max(16384, "SVT-AV1 takes a width of at most 16384")
      .refine((w) => w % 2 === 0, "SVT-AV1 needs an even width for 4:2:0 (pad or crop the frame by one column)"),
    height: int("height")
      .min(64, "SVT-AV1 needs a height of at least 64")
      .max(8704, "SVT-AV1 takes a height of at most 8704")
      .refine((h) => h % 2 === 0, "SVT-AV1 needs an even height for 4:2:0 (pad or crop the frame by one row)"),
    fps: z
      .object({ num: int("fps.num").min(1).max(2 ** 31 - 1), den: int("fps.den").min(1).max(2 ** 31 - 1) })
      .strict()
      .refine((f) => f.num / f.den <= 240, "SVT-AV1 takes at most 240 frames per second")
      // SVT-AV1 keeps the rate in 1/256 steps and refuses 0 with a bare error code: say it here.
      .refine((f) => f.num * 256 >= f.den, (f) => ({ message: `SVT-AV1 takes at least 1/256 frame per second (one frame every 256 s); got ${f.num}/${f.den}` }))
      .default({ num: 25, den: 1 }),
    /** preset, crf | qp | cbr | vbr, keyInt, threads: the settings vocabulary shared with the Env. */
    ...encoderSettingsShape,
    predStructure: z.enum(["low-delay", "random-access"]).default("low-delay"),
    /** Reconstructed frames (and their SSE/PSNR against the source) on every packet. */
    recon: z.boolean().default(false),
    /**
     * With `recon` in low delay: every packet's `recon.frame` and `recon.sseSuperblocks` are the same buffers,
     * overwritten by the next `encode()`, instead of new ones per frame. For a caller done with them by then
     * (the Env's reward); a frame-sized allocation per picture is otherwise a good part of the recon's cost.
     */
    reuseRecon: z.boolean().default(false),
    /** 8, or 10 (frames then carry Uint16Array planes; the bitstream is 10-bit Main profile). */
    bitDepth: z
      .union([z.literal(8), z.literal(10)], { errorMap: () => ({ message: "bitDepth must be 8 or 10 (SVT-AV1's input depths)" }) })
      .default(8),
    /**
     * The time base of the packets' timestamps (default 1/fps: pts counts frames). Frames given no `pts`
     * are stamped index x frame duration in it.
     */
    timeBase: z
      .object({ num: int("timeBase.num").min(1).max(2 ** 31 - 1), den: int("timeBase.den").min(1).max(2 ** 31 - 1) })
      .strict()
      .optional(),
    /** Sugar: write the packets to this IVF file as they come out (an IvfMuxer the encoder owns). */
    output: z.string().min(1).optional(),
    /** Compute the per-superblock analysis for every frame (`lastAnalysis`) even without a hook. */
    analysis: z.boolean().default(false),
    /**
     * Per-picture qp (`encode(frame, { frameQp })`, SVT-AV1's use_qp_file): every frame is coded at the qp it is
     * given, or at the configured crf/qp when it gives none (SVT's own per-layer qp scaling is then off). crf/cqp only.
     */
    frameQp: z.boolean().default(false),
    /**
     * qindex offsets added to the default's base qindex per temporal layer (index 0 = base layer, up to 6),
     * SVT-AV1's use_fixed_qindex_offsets = 2; all zeros encode exactly as without. crf/cqp only.
     */
    layerQindexOffsets: z.array(int("layerQindexOffsets[i]").min(-255).max(255)).max(6, "layerQindexOffsets: at most 6 temporal layers").optional(),
    /** qindex offset of key frames, with `layerQindexOffsets`. */
    keyFrameQindexOffset: int("keyFrameQindexOffset").min(-255).max(255).optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    refineEncoderSettings(o, ctx, o.predStructure);
    const rc = rateControlOf(o).mode;
    if ((o.frameQp || o.layerQindexOffsets || o.keyFrameQindexOffset !== undefined) && rc !== "crf" && rc !== "cqp")
      ctx.addIssue({ code: "custom", path: ["frameQp"], message: "frameQp and layerQindexOffsets need crf or qp rate control" });
    if (o.reuseRecon && (!o.recon || o.predStructure !== "low-delay"))
      ctx.addIssue({ code: "custom", path: ["reuseRecon"], message: "reuseRecon needs recon: true and low delay (random access returns several reconstructions per call)" });
    if (o.frameQp && (o.layerQindexOffsets || o.keyFrameQindexOffset !== undefined))
      ctx.addIssue({ code: "custom", path: ["frameQp"], message: "frameQp and layerQindexOffsets exclude each other in SVT-AV1" });
  });

export type EncoderOptions = z.input<typeof EncoderOptions>;
export type ResolvedEncoderOptions = z.output<typeof EncoderOptions> & { keyInt: number; rateControl: RateControl };

export type { FrameType } from "./packet";
export type { PlaneStats, Reconstruction } from "./recon";
const FRAME_TYPES: Record<number, FrameType> = {
  0: "INTER",
  1: "ALT_REF",
  2: "INTRA_ONLY",
  3: "KEY",
  4: "NON_REF",
  5: "FW_KEY",
  6: "SHOW_EXISTING",
  7: "SWITCH",
};

/** A packet out of Av1Encoder: the common Packet, its AV1 fields, and what the encoder measured on the side. */
export interface Av1Packet extends Packet {
  av1: Av1PacketInfo;
  /** Wall time from sending the picture to this packet's arrival (ms). */
  encodeMs: number;
  /** With `recon: true`: the reconstruction (what a decoder shows) and its distortion against the source. */
  recon?: Reconstruction;
}

export interface EncodeOptions extends FrameEncodeOptions {
  /**
   * qindex offsets per 64x64 superblock, row-major, length sbRows * sbCols; integers in -255..255, at
   * most 8 distinct values. They apply to this frame only.
   */
  qpOffsets?: ArrayLike<number>;
  /**
   * This frame's qp, 1..63 (base_q_idx 4*qp, 255 at 63), for an encoder opened with `frameQp: true`; without
   * it the frame gets the configured crf/qp.
   */
  frameQp?: number;
  /**
   * Send `qpOffsets` as a ROI map even when all are zero. SVT-AV1 then keeps segmentation on (the "ROI tax"),
   * as it does for every frame after a map when `Av1Encoder.roiSwitchOff` is false. For measurements.
   */
  keepMap?: boolean;
}

/** The open-time keys of per-layer qindex offsets (none: SVT-AV1's own qp scaling alone). */
function layerOffsetKeys(layers?: number[], key?: number): Record<string, number> {
  if (!layers && key === undefined) return {};
  const names = [SVT_KEY.LAYER_OFFSET_0, SVT_KEY.LAYER_OFFSET_1, SVT_KEY.LAYER_OFFSET_2, SVT_KEY.LAYER_OFFSET_3, SVT_KEY.LAYER_OFFSET_4, SVT_KEY.LAYER_OFFSET_5];
  const out: Record<string, number> = { [SVT_KEY.KEY_OFFSET]: key ?? 0 };
  (layers ?? []).forEach((v, l) => (out[names[l]!] = v));
  return out;
}

/**
 * The delta-QP hook: called once per frame inside `encode()`, before the picture is sent, with the frame
 * index, this frame's analysis (a view reused for every frame: copy what you keep) and the offsets to
 * fill (zeros, or this call's `qpOffsets`). Write offsets into `offsets`, or return an array of them.
 */
export type DeltaQHook = (frameIndex: number, analysis: Analysis, offsets: Int16Array) => void | ArrayLike<number>;

function zodMessage(e: z.ZodError): string {
  return e.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
}

/** AV1 segmentation: at most this many distinct qindex offsets in one frame's map. */
export const MAX_OFFSET_SEGMENTS = 8;
/** Largest |qindex offset| a superblock may take. */
export const MAX_QINDEX_OFFSET = 255;

/**
 * Checks per-superblock offsets: the length, integers in -MAX_QINDEX_OFFSET..MAX_QINDEX_OFFSET, at most
 * MAX_OFFSET_SEGMENTS distinct values. Throws InvalidArgumentError naming the problem.
 */
export function validateQpOffsets(offsets: ArrayLike<number>, sbRows: number, sbCols: number, what = "qpOffsets"): void {
  if (offsets === null || typeof offsets !== "object" || typeof offsets.length !== "number")
    throw new InvalidArgumentError(`${what} must be an array of numbers (one per 64x64 superblock)`);
  const n = sbRows * sbCols;
  if (offsets.length !== n)
    throw new InvalidArgumentError(`${what} has ${offsets.length} values, expected ${n} (sbRows ${sbRows} x sbCols ${sbCols}, row-major)`);
  // Called for every frame with offsets: no string or Set is built unless something is wrong.
  const distinct: number[] = [];
  const where = (i: number) => `${what}[${i}] (row ${Math.floor(i / sbCols)}, col ${i % sbCols})`;
  for (let i = 0; i < n; i++) {
    const v = offsets[i] as number;
    if (typeof v !== "number" || Number.isNaN(v)) throw new InvalidArgumentError(`${where(i)} is ${String(v)}, not a number`);
    if (!Number.isInteger(v)) throw new InvalidArgumentError(`${where(i)} is ${v}, not an integer`);
    if (v < -MAX_QINDEX_OFFSET || v > MAX_QINDEX_OFFSET)
      throw new InvalidArgumentError(`${where(i)} is ${v}, outside -${MAX_QINDEX_OFFSET}..${MAX_QINDEX_OFFSET}`);
    if (!distinct.includes(v)) {
      distinct.push(v);
      if (distinct.length > MAX_OFFSET_SEGMENTS)
        throw new InvalidArgumentError(`${what} has more than ${MAX_OFFSET_SEGMENTS} distinct values (AV1 has ${MAX_OFFSET_SEGMENTS} segments): ${distinct.join(", ")}`);
    }
  }
}

/** The SVT-AV1 version the native library was built against (2.3, 3.x or 4.x; see the README). */
export function svtVersion(): { major: number; minor: number; patch: number; text: string } {
  const v = native().ag_svt_version();
  const major = Math.floor(v / 10000), minor = Math.floor(v / 100) % 100, patch = v % 100;
  return { major, minor, patch, text: `${major}.${minor}.${patch}` };
}

/**
 * What the delta-QP hook's JSCallback works on. Kept apart from the encoder on purpose: the callback's
 * closure holds this, and a closure holding the encoder would keep it from ever being collected.
 */
class HookState {
  hook: DeltaQHook | null = null;
  error: unknown = undefined;
  /** The frame inside encode(): C reads its planes after the hook returns. */
  sending: I420Frame | null = null;
  readonly analysis: Analysis;
  offsets: Int16Array;
  constructor(
    readonly sbRows: number,
    readonly sbCols: number,
  ) {
    this.analysis = { rows: sbRows, cols: sbCols, features: ANALYSIS_FEATURES, data: new Float32Array(0) };
    this.offsets = new Int16Array(0);
  }

  /** Whether a buffer C keeps a pointer to was detached (`buffer.transfer()`): its storage may be freed. */
  get detached(): boolean {
    return isDetached(this.analysis.data.buffer) || isDetached(this.offsets.buffer);
  }

  /**
   * New analysis and offsets buffers for C (at construction, and after a user detached one). Explicit
   * ArrayBuffers: their storage never moves, so C may keep the pointers until the next call here.
   */
  attach(h: Pointer): void {
    const n = this.sbRows * this.sbCols;
    this.analysis.data = new Float32Array(new ArrayBuffer(n * AF.COUNT * 4));
    this.offsets = new Int16Array(new ArrayBuffer(n * 2));
    check(native().ag_encoder_set_buffers(h, this.analysis.data, this.analysis.data.length, this.offsets, n), "Av1Encoder");
  }

  /** Called from C inside encode(); never throws into C (bun:ffi would hand C a 0 and skip later calls). */
  run(frameIndex: number): number {
    try {
      const hook = this.hook;
      if (!hook) return 0;
      const ret = hook(frameIndex, this.analysis, this.offsets);
      // C reads the offsets and the source planes after this returns: detached storage may already be freed.
      // (A detached analysis buffer is not read again; encode() replaces it.)
      const f = this.sending;
      const gone = isDetached(this.offsets.buffer) ? "the offsets buffer" : f && [f.y, f.u, f.v].some((p) => isDetached(p.buffer)) ? "the source frame's planes" : null;
      if (gone)
        throw new CallbackError(`the onDeltaQ hook detached ${gone} on frame ${frameIndex} (buffer.transfer()?): the frame is not sent; copy what you keep instead`);
      if (ret !== undefined && ret !== null && typeof (ret as { then?: unknown }).then === "function")
        throw new CallbackError(`the onDeltaQ hook returned a Promise on frame ${frameIndex}: it must be synchronous (C calls it inside encode() and sends the frame when it returns); drop async and write the offsets before returning`);
      if (ret !== undefined && ret !== null) {
        validateQpOffsets(ret, this.sbRows, this.sbCols, "the onDeltaQ hook's result");
        this.offsets.set(ret as ArrayLike<number>);
      } else {
        validateQpOffsets(this.offsets, this.sbRows, this.sbCols, "the offsets the onDeltaQ hook wrote");
      }
      return 0;
    } catch (e) {
      this.error = e;
      return 1;
    }
  }
}

const freeEncoder = (h: Pointer) => native().ag_encoder_close(h);

/** The first sequence header OBU of an AV1 temporal unit (with its OBU header), or undefined. */
function sequenceHeaderObu(tu: Uint8Array): Uint8Array | undefined {
  let i = 0;
  while (i < tu.length) {
    const h = tu[i]!;
    const type = (h >> 3) & 15;
    let j = i + 1 + ((h >> 2) & 1); // the extension byte
    let end = tu.length;
    if ((h >> 1) & 1) {
      let size = 0;
      for (let shift = 0; j < tu.length && shift < 56; shift += 7) {
        const b = tu[j++]!;
        size += (b & 127) * 2 ** shift;
        if (!(b & 128)) break;
      }
      end = j + size;
    }
    if (end > tu.length) return undefined;
    if (type === 1) return tu.slice(i, end);
    i = end;
  }
  return undefined;
}

export class Av1Encoder extends NativeHandle implements Encoder {
  readonly codec = "av1";
  readonly options: Readonly<ResolvedEncoderOptions>;
  readonly width: number;
  readonly height: number;
  readonly frameRate: Rational;
  /** The time base of the packets' pts, dts and duration. */
  readonly timeBase: Rational;
  /** Superblock grid: ceil(width / 64) x ceil(height / 64). */
  readonly sbCols: number;
  readonly sbRows: number;
  /**
   * Analysis of the last frame passed to `encode()` (when a hook is set or `analysis: true`), else null.
   * Its `data` is overwritten by the next encode: copy it to keep it.
   */
  lastAnalysis: Analysis | null = null;

  // Buffers C writes (analysis) and reads (offsets), owned by the hook state so views stay valid after close.
  private readonly hookState: HookState;
  private readonly info = new Float64Array(PI.COUNT);
  private hookCb: JSCallback | null = null;
  private readonly pairer: ReconPairer;
  /** With reuseRecon: the reconstruction and superblock SSE every packet gets (allocated at the first). */
  private reconBuf: I420Frame | null = null;
  private sseBuf: Float64Array | undefined;
  /** Frame index -> its pts, until its packet is out. */
  private readonly ptsOf = new Map<number, number>();
  private readonly frameDuration: number;
  private lastPts = -Infinity;
  private framesIn = 0;
  private flushed = false;
  private seqHeader: Uint8Array | undefined;
  private muxer: Muxer | null = null;
  /** True while C is inside encode/flush: the hook must not re-enter or close the encoder. */
  private busy = false;

  constructor(options: EncoderOptions) {
    if (options && typeof options === "object" && "rateControl" in options)
      throw new InvalidArgumentError("Av1Encoder: rateControl is now given as one of crf, qp, cbr or vbr (e.g. { crf: 35 } or { cbr: 600 }), as in the Env's encoder option");
    const r = EncoderOptions.safeParse(options);
    if (!r.success) throw new InvalidArgumentError(`Av1Encoder: ${zodMessage(r.error)}`);
    const o = r.data;
    const rc = rateControlOf(o);
    // VBR needs a key-frame interval: 5 s unless given.
    const keyInt = o.keyInt ?? (rc.mode === "vbr" ? Math.max(1, Math.round((5 * o.fps.num) / o.fps.den)) : -1);
    const h = withConfig(
      {
        [SVT_KEY.WIDTH]: o.width,
        [SVT_KEY.HEIGHT]: o.height,
        [SVT_KEY.FPS_NUM]: o.fps.num,
        [SVT_KEY.FPS_DEN]: o.fps.den,
        [SVT_KEY.PRESET]: o.preset,
        [SVT_KEY.RC]: rc.mode,
        [SVT_KEY.QP]: rc.mode === "crf" ? rc.crf : rc.mode === "cqp" ? rc.qp : undefined,
        [SVT_KEY.BITRATE_KBPS]: rc.mode === "vbr" || rc.mode === "cbr" ? rc.bitrateKbps : undefined,
        [SVT_KEY.PRED]: o.predStructure,
        [SVT_KEY.KEYINT]: keyInt,
        [SVT_KEY.THREADS]: o.threads,
        [SVT_KEY.RECON]: o.recon,
        [SVT_KEY.BIT_DEPTH]: o.bitDepth,
        [SVT_KEY.FRAME_QP]: o.frameQp ? 1 : undefined,
        ...layerOffsetKeys(o.layerQindexOffsets, o.keyFrameQindexOffset),
      },
      (cfg) => checkHandle(native().ag_encoder_open(cfg) as Pointer | null, "Av1Encoder"),
    );
    super("Av1Encoder", h, freeEncoder);
    this.options = Object.freeze({ ...o, keyInt, rateControl: rc });
    this.width = o.width;
    this.height = o.height;
    this.frameRate = Object.freeze({ ...o.fps });
    this.timeBase = Object.freeze(o.timeBase ? { ...o.timeBase } : { num: o.fps.den, den: o.fps.num });
    this.frameDuration = (o.fps.den * this.timeBase.den) / (o.fps.num * this.timeBase.num);
    const g = superblockGrid(o.width, o.height);
    this.sbCols = g.cols;
    this.sbRows = g.rows;
    // Low delay returns each frame's packet within the call, while the caller's planes are intact: no copy.
    this.pairer = new ReconPairer(o.predStructure !== "low-delay");
    this.hookState = new HookState(this.sbRows, this.sbCols);
    try {
      this.hookState.attach(h);
      if (o.analysis) check(native().ag_encoder_set_analysis(h, 1), "Av1Encoder");
      if (o.output) {
        this.muxer = new IvfMuxer(o.output);
        this.muxer.addVideo(this);
      }
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /**
   * True when an all-zero frame after a ROI map puts SVT-AV1 back on its own path (no segmentation): needs an
   * SVT-AV1 build without asserts, as scripts/build-svt.sh makes (see lib/codec/svt.c). When false, a map
   * once sent stays in force (zeros included) for the rest of the stream.
   */
  static get roiSwitchOff(): boolean {
    return native().ag_encoder_roi_switch_off() === 1;
  }

  /** Frames passed to `encode()` so far (the next frame's index). */
  get framesEncoded(): number {
    return this.framesIn;
  }

  /**
   * RFC 6381 codec string av01.P.LLT.DD from the sequence header SVT-AV1 wrote (profile, level and tier of
   * operating point 0, bit depth). SVT-AV1 picks the level from the picture size and rate when it writes the
   * first packet; before that this says profile 0, level 31 (no level constraint), tier M.
   */
  get codecString(): string {
    const s = new Int32Array(SI.COUNT);
    check(native().ag_encoder_stream_info(this.handle("codecString"), s, s.length), "Av1Encoder.codecString");
    const [profile, level, tier, depth] = [s[SI.PROFILE]!, s[SI.LEVEL]!, s[SI.TIER]!, s[SI.BIT_DEPTH]!];
    const p2 = (v: number) => String(v).padStart(2, "0");
    if (level < 0) return `av01.0.31M.${p2(depth)}`;
    return `av01.${profile}.${p2(level)}${tier ? "H" : "M"}.${p2(depth)}`;
  }

  /** The sequence header OBU (av1C's configOBUs), once the first packet is out. */
  get extradata(): Uint8Array | undefined {
    return this.seqHeader;
  }

  /**
   * Time spent in C before sending pictures: the per-superblock analysis and the delta-QP hook (the JS
   * call included), totals in ms with the number of frames each ran on.
   */
  get timing(): { analysisMs: number; analysedFrames: number; hookMs: number; hookCalls: number } {
    const t = new Float64Array(ET.COUNT);
    check(native().ag_encoder_timing(this.handle("timing"), t, t.length), "Av1Encoder.timing");
    return { analysisMs: t[ET.ANALYSIS_MS]!, analysedFrames: t[ET.ANALYSED]!, hookMs: t[ET.HOOK_MS]!, hookCalls: t[ET.HOOK_CALLS]! };
  }

  protected override handle(what: string): Pointer {
    const h = super.handle(what);
    if (this.busy) throw new StateError(`Av1Encoder.${what}: not allowed from inside the onDeltaQ hook`);
    return h;
  }

  /**
   * Registers the delta-QP hook (replacing any previous one), or removes it with null. See `DeltaQHook`.
   * An exception in the hook makes `encode()` throw CallbackError (cause = the exception); offsets it
   * gives get the same checks as `qpOffsets` (InvalidArgumentError). Either way the frame is not sent and
   * the encoder stays usable.
   */
  onDeltaQ(hook: DeltaQHook | null): void {
    const h = this.handle("onDeltaQ");
    if (hook !== null && typeof hook !== "function") throw new InvalidArgumentError("onDeltaQ: hook must be a function or null");
    if (hook === null) {
      check(native().ag_encoder_set_hook(h, null), "onDeltaQ");
      this.hookState.hook = null;
      return;
    }
    this.hookState.hook = hook;
    if (!this.hookCb) {
      // One JSCallback for the encoder's life, closed with it; it closes over the hook state only.
      const state = this.hookState;
      this.hookCb = new JSCallback((frameIndex: number) => state.run(frameIndex), { args: [FFIType.i32], returns: FFIType.i32 });
      this.adoptCallback(this.hookCb);
    }
    check(native().ag_encoder_set_hook(h, this.hookCb.ptr), "onDeltaQ");
  }

  /**
   * Encodes one frame and returns the packets that came out (low delay: exactly this frame's packet).
   * The planes are read in place (no copy); SVT-AV1 copies them before this returns.
   */
  encode(frame: I420Frame, opts: EncodeOptions = {}): Av1Packet[] {
    const h = this.handle("encode");
    if (this.flushed) throw new StateError("Av1Encoder.encode: the stream was flushed; open a new encoder");
    validateI420(frame, { width: this.width, height: this.height, bitDepth: this.options.bitDepth });
    if (opts === null || typeof opts !== "object") throw new InvalidArgumentError("encode: options must be an object");
    const index = this.framesIn;
    const pts = opts.pts ?? Math.round(index * this.frameDuration);
    if (!Number.isSafeInteger(pts)) throw new InvalidArgumentError(`encode: pts ${pts} must be an integer (in timeBase units)`);
    if (pts <= this.lastPts) throw new InvalidArgumentError(`encode: pts ${pts} is not after the previous frame's ${this.lastPts}`);
    let flags = 0;
    const state = this.hookState;
    // A user may have detached a buffer C writes or reads (e.g. lastAnalysis.data.buffer.transfer()).
    if (state.detached) state.attach(h);
    if (opts.qpOffsets !== undefined) {
      validateQpOffsets(opts.qpOffsets, this.sbRows, this.sbCols);
      state.offsets.set(opts.qpOffsets);
      flags |= ENC.OFFSETS;
    }
    if (opts.forceKey) flags |= ENC.KEY;
    if (opts.keepMap) flags |= ENC.KEEP_MAP;
    if (opts.frameQp !== undefined) {
      const q = opts.frameQp;
      if (!this.options.frameQp) throw new InvalidArgumentError("encode: frameQp needs an encoder opened with frameQp: true");
      if (typeof q !== "number" || !Number.isInteger(q) || q < 1 || q > 63) throw new InvalidArgumentError(`encode: frameQp must be an integer 1..63, got ${String(q)}`);
    }
    if (this.options.frameQp) check(native().ag_encoder_set_frame_qp(h, opts.frameQp ?? -1), "Av1Encoder.encode");
    const recon = this.options.recon;
    if (recon) this.pairer.keep(index, frame);
    state.error = undefined;
    this.busy = true;
    state.sending = frame;
    let rc: number;
    try {
      rc = native().ag_encoder_encode(h, frame.y, frame.strideY, frame.u, frame.strideU, frame.v, frame.strideV, flags);
    } finally {
      this.busy = false;
      state.sending = null;
    }
    // A hook may have detached the analysis buffer; the next frame gets a fresh one (lastAnalysis included).
    if (isDetached(state.analysis.data.buffer)) state.attach(h);
    if (rc < 0) {
      if (recon) this.pairer.drop(index);
      if (rc === AG.E_CALLBACK) {
        const err = state.error;
        state.error = undefined;
        if (err instanceof Av1GymError) throw err;
        const msg = err instanceof Error ? err.message : String(err);
        throw new CallbackError(`the onDeltaQ hook threw on frame ${index}: ${msg}`, { cause: err });
      }
      check(rc, "Av1Encoder.encode");
    }
    this.ptsOf.set(index, pts);
    this.lastPts = pts;
    this.framesIn++;
    if (state.hook || this.options.analysis) this.lastAnalysis = state.analysis;
    return this.drain(h);
  }

  /** Ends the stream and returns every remaining packet. Later calls return []. */
  flush(): Av1Packet[] {
    const h = this.handle("flush");
    this.flushed = true;
    check(native().ag_encoder_flush(h), "Av1Encoder.flush");
    return this.drain(h);
  }

  private drain(h: Pointer): Av1Packet[] {
    const out: Av1Packet[] = [];
    const lib = native();
    const info = this.info;
    const duration = Math.max(1, Math.round(this.frameDuration));
    while (check(lib.ag_encoder_next_packet(h, info, info.length)) === 1) {
      const size = info[PI.SIZE]!;
      const index = info[PI.PTS]!;
      const data = new Uint8Array(size);
      const qp = info[PI.QP]!;
      // SVT labels a packet that only shows an existing frame with that frame's type: the header says.
      const frameType = info[PI.QINDEX] === -2 ? "SHOW_EXISTING" : (FRAME_TYPES[info[PI.PIC_TYPE]!] ?? "UNKNOWN");
      const av1: Av1PacketInfo = { qindex: info[PI.QINDEX]! >= 0 ? info[PI.QINDEX]! : qp >= 63 ? 255 : qp * 4, qp, frameType };
      if (info[PI.TEMPORAL_ID]! >= 0) av1.temporalLayer = info[PI.TEMPORAL_ID]!;
      const pts = this.ptsOf.get(index) ?? Math.round(index * this.frameDuration);
      this.ptsOf.delete(index);
      // One temporal unit per shown frame, in presentation order: dts = pts.
      const pkt: Av1Packet = { data, pts, dts: pts, duration, timeBase: this.timeBase, isKey: frameType === "KEY", av1, encodeMs: info[PI.ENCODE_MS]! };
      if (info[PI.HAS_RECON] === 1) {
        let r: I420Frame;
        if (this.options.reuseRecon) {
          r = this.reconBuf ??= allocI420(this.width, this.height, this.options.bitDepth);
          this.sseBuf ??= new Float64Array(this.sbRows * this.sbCols);
        } else r = allocI420(this.width, this.height, this.options.bitDepth);
        check(lib.ag_encoder_take_packet(h, data, size, r.y, r.y.byteLength, r.u, r.u.byteLength, r.v, r.v.byteLength), "Av1Encoder");
        const measured = this.pairer.pair(index, r, this.sseBuf);
        if (measured) pkt.recon = measured;
      } else {
        check(lib.ag_encoder_take_packet(h, data, size, null, 0, null, 0, null, 0), "Av1Encoder");
      }
      this.seqHeader ??= sequenceHeaderObu(data);
      this.muxer?.write(pkt);
      out.push(pkt);
    }
    return out;
  }

  /**
   * Releases the encoder (ending the stream first if needed; packets still inside are dropped) and the
   * hook. The `output` file, if any, is complete after this. Idempotent.
   */
  override close(): void {
    if (this.closed) return;
    if (this.busy) throw new StateError("Av1Encoder.close: not allowed from inside the onDeltaQ hook");
    // With an output file, the pictures SVT still holds go to it (the file is complete, as a user expects).
    let flushError: unknown;
    if (this.muxer && !this.flushed && this.framesIn > 0) {
      try {
        this.flush();
      } catch (e) {
        flushError = e;
      }
    }
    this.closeHandle();
    this.hookCb = null;
    this.hookState.hook = null;
    this.pairer.clear();
    this.ptsOf.clear();
    const m = this.muxer;
    this.muxer = null;
    m?.close();
    if (flushError) throw flushError;
  }
}
