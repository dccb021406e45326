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
import { AG, CallbackError, InvalidArgumentError, StateError, Av1GymError } from "../core/errors";
import { allocI420, validateI420, type I420Frame } from "../core/frame";
import { encoderSettingsShape, rateControlOf, refineEncoderSettings, type RateControl } from "./settings";
import { ANALYSIS_FEATURES, ANALYSIS_FEATURE_COUNT, superblockGrid, superblockSse, type Analysis } from "../analysis/analysis";
import { psnrFromSse } from "../metrics/psnr_math";

/** A NUL-terminated UTF-8 copy of a string, for C. */
const cString = (s: string): Buffer => Buffer.from(s + "\0", "utf8");

// Indices of the C parameter array (AG_EP_* in lib/av1gym.h).
const EP = { WIDTH: 0, HEIGHT: 1, FPS_NUM: 2, FPS_DEN: 3, PRESET: 4, RC_MODE: 5, QP: 6, BITRATE: 7, PRED: 8, KEYINT: 9, THREADS: 10, RECON: 11, BIT_DEPTH: 12, COUNT: 13 } as const;
// Packet info fields (AG_PI_* in lib/av1gym.h).
const PI = { SIZE: 0, PTS: 1, PIC_TYPE: 2, QP: 3, FLAGS: 4, HAS_RECON: 5, ENCODE_MS: 6, QINDEX: 7, TEMPORAL_ID: 8, COUNT: 9 } as const;
const ENC_OFFSETS = 1;
const ENC_KEY = 2;

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
      .default({ num: 25, den: 1 }),
    /** preset, crf | qp | cbr | vbr, keyInt, threads: the settings vocabulary shared with the Env. */
    ...encoderSettingsShape,
    predStructure: z.enum(["low-delay", "random-access"]).default("low-delay"),
    /** Reconstructed frames (and their SSE/PSNR against the source) on every packet. */
    recon: z.boolean().default(false),
    /** 8, or 10 (frames then carry Uint16Array planes; the bitstream is 10-bit Main profile). */
    bitDepth: z
      .union([z.literal(8), z.literal(10)], { errorMap: () => ({ message: "bitDepth must be 8 or 10 (SVT-AV1's input depths)" }) })
      .default(8),
    /** Write an IVF file as packets come out. */
    output: z.string().min(1).optional(),
    /** Compute the per-superblock analysis for every frame (`lastAnalysis`) even without a hook. */
    analysis: z.boolean().default(false),
  })
  .strict()
  .superRefine((o, ctx) => refineEncoderSettings(o, ctx, o.predStructure));

export type EncoderOptions = z.input<typeof EncoderOptions>;
export type ResolvedEncoderOptions = z.output<typeof EncoderOptions> & { keyInt: number; rateControl: RateControl };

/** AV1 frame type of a packet (SVT-AV1's EbAv1PictureType). */
export type FrameType = "INTER" | "ALT_REF" | "INTRA_ONLY" | "KEY" | "NON_REF" | "FW_KEY" | "SHOW_EXISTING" | "SWITCH" | "UNKNOWN";
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

export interface PlaneStats {
  y: number;
  u: number;
  v: number;
}

/** One temporal unit out of the encoder. */
export interface Av1Packet {
  /** The AV1 temporal unit (OBUs), as written to IVF. */
  data: Uint8Array;
  /** Index of the source frame (0-based, in input order); timestamps are pts * fps.den / fps.num s. */
  pts: number;
  /** SVT-AV1's picture type; "SHOW_EXISTING" when the packet only shows an earlier (hidden) frame. */
  frameType: FrameType;
  /**
   * The frame's base qindex (0..255): base_q_idx read from the packet's (last coded) frame header. For a
   * SHOW_EXISTING packet, which codes no frame, it is the qindex of SVT's reported qp (qp * 4, 255 for 63).
   */
  qindex: number;
  /** The OBU temporal id, when the stream carries OBU extension headers (SVT-AV1 writes none by default). */
  temporalLayer?: number;
  /** SVT-AV1's frame qp, 0..63. */
  qp: number;
  size: number;
  isKey: boolean;
  /** Wall time from sending the picture to this packet's arrival (ms). */
  encodeMs: number;
  /** Reconstruction (what a decoder shows), when `recon` is on. */
  recon?: I420Frame;
  /** Sum of squared errors recon vs source per plane, in sample units (when `recon` is on). */
  sse?: PlaneStats;
  /** Luma SSE of each 64x64 superblock, row-major (when `recon` is on); sums to `sse.y`. */
  sseSuperblocks?: Float64Array;
  /** PSNR in dB per plane (peak 255, or 1023 at 10 bits; 100 for identical planes), when `recon` is on. */
  psnr?: PlaneStats;
}

export interface EncodeOptions {
  /**
   * qindex offsets per 64x64 superblock, row-major, length sbRows * sbCols; integers in -255..255, at
   * most 8 distinct values. They apply to this frame only.
   */
  qpOffsets?: ArrayLike<number>;
  /** Make this frame a key frame. */
  forceKey?: boolean;
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

/**
 * Checks per-superblock offsets: the length, integers in -255..255, at most 8 distinct values. Throws
 * InvalidArgumentError naming the problem.
 */
export function validateQpOffsets(offsets: ArrayLike<number>, sbRows: number, sbCols: number, what = "qpOffsets"): void {
  if (offsets === null || typeof offsets !== "object" || typeof offsets.length !== "number")
    throw new InvalidArgumentError(`${what} must be an array of numbers (one per 64x64 superblock)`);
  const n = sbRows * sbCols;
  if (offsets.length !== n)
    throw new InvalidArgumentError(`${what} has ${offsets.length} values, expected ${n} (sbRows ${sbRows} x sbCols ${sbCols}, row-major)`);
  const distinct = new Set<number>();
  for (let i = 0; i < n; i++) {
    const v = offsets[i] as number;
    const where = `${what}[${i}] (row ${Math.floor(i / sbCols)}, col ${i % sbCols})`;
    if (typeof v !== "number" || Number.isNaN(v)) throw new InvalidArgumentError(`${where} is ${String(v)}, not a number`);
    if (!Number.isInteger(v)) throw new InvalidArgumentError(`${where} is ${v}, not an integer`);
    if (v < -255 || v > 255) throw new InvalidArgumentError(`${where} is ${v}, outside -255..255`);
    distinct.add(v);
    if (distinct.size > 8)
      throw new InvalidArgumentError(`${what} has more than 8 distinct values (AV1 has 8 segments): ${[...distinct].join(", ")}`);
  }
}

/** The SVT-AV1 version the native library was built against (2.3, 3.x or 4.x; see the README). */
export function svtVersion(): { major: number; minor: number; patch: number; text: string } {
  const v = native().ag_svt_version();
  const major = Math.floor(v / 10000), minor = Math.floor(v / 100) % 100, patch = v % 100;
  return { major, minor, patch, text: `${major}.${minor}.${patch}` };
}

// An encoder dropped without close() still releases SVT-AV1's threads and memory (and completes its IVF).
const finalizer = new FinalizationRegistry<Pointer>((h) => native().ag_encoder_close(h));

export class Av1Encoder {
  readonly options: Readonly<ResolvedEncoderOptions>;
  readonly width: number;
  readonly height: number;
  /** Superblock grid: ceil(width / 64) x ceil(height / 64). */
  readonly sbCols: number;
  readonly sbRows: number;
  /**
   * Analysis of the last frame passed to `encode()` (when a hook is set or `analysis: true`), else null.
   * Its `data` is overwritten by the next encode: copy it to keep it.
   */
  lastAnalysis: Analysis | null = null;

  private h: Pointer | null;
  // Buffers C writes (analysis) and reads (offsets), owned here so views stay valid after close.
  private readonly analysisView: Analysis;
  private readonly offsets: Int16Array;
  private readonly info = new Float64Array(PI.COUNT);
  private hook: DeltaQHook | null = null;
  private hookCb: JSCallback | null = null;
  private hookError: unknown = undefined;
  private readonly sources = new Map<number, I420Frame>();
  private framesIn = 0;
  private flushed = false;
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
    this.options = Object.freeze({ ...o, keyInt, rateControl: rc });
    this.width = o.width;
    this.height = o.height;
    const g = superblockGrid(o.width, o.height);
    this.sbCols = g.cols;
    this.sbRows = g.rows;
    const p = new Int32Array(EP.COUNT);
    p[EP.WIDTH] = o.width;
    p[EP.HEIGHT] = o.height;
    p[EP.FPS_NUM] = o.fps.num;
    p[EP.FPS_DEN] = o.fps.den;
    p[EP.PRESET] = o.preset;
    p[EP.RC_MODE] = { crf: 0, cqp: 1, vbr: 2, cbr: 3 }[rc.mode];
    p[EP.QP] = rc.mode === "crf" ? rc.crf : rc.mode === "cqp" ? rc.qp : 35;
    p[EP.BITRATE] = rc.mode === "vbr" || rc.mode === "cbr" ? rc.bitrateKbps : 0;
    p[EP.PRED] = o.predStructure === "low-delay" ? 1 : 2;
    p[EP.KEYINT] = keyInt;
    p[EP.THREADS] = o.threads;
    p[EP.RECON] = o.recon ? 1 : 0;
    p[EP.BIT_DEPTH] = o.bitDepth;
    this.h = checkHandle(native().ag_encoder_open(p, EP.COUNT, o.output ? cString(o.output) : null) as Pointer | null, "Av1Encoder");
    finalizer.register(this, this.h, this);
    // Explicit ArrayBuffers: their storage never moves, so C may keep the pointers until close.
    const n = this.sbRows * this.sbCols;
    this.analysisView = {
      rows: this.sbRows,
      cols: this.sbCols,
      features: ANALYSIS_FEATURES,
      data: new Float32Array(new ArrayBuffer(n * ANALYSIS_FEATURE_COUNT * 4)),
    };
    this.offsets = new Int16Array(new ArrayBuffer(n * 2));
    try {
      check(native().ag_encoder_set_buffers(this.h, this.analysisView.data, this.analysisView.data.length, this.offsets, n), "Av1Encoder");
      if (o.analysis) check(native().ag_encoder_set_analysis(this.h, 1), "Av1Encoder");
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** Frames passed to `encode()` so far (the next frame's index). */
  get framesEncoded(): number {
    return this.framesIn;
  }

  /**
   * Time spent in C before sending pictures: the per-superblock analysis and the delta-QP hook (the JS
   * call included), totals in ms with the number of frames each ran on.
   */
  get timing(): { analysisMs: number; analysedFrames: number; hookMs: number; hookCalls: number } {
    const t = new Float64Array(4);
    check(native().ag_encoder_timing(this.handle("timing"), t), "Av1Encoder.timing");
    return { analysisMs: t[0]!, analysedFrames: t[1]!, hookMs: t[2]!, hookCalls: t[3]! };
  }

  get closed(): boolean {
    return this.h === null;
  }

  private handle(what: string): Pointer {
    if (!this.h) throw new StateError(`Av1Encoder.${what}: the encoder is closed`);
    if (this.busy) throw new StateError(`Av1Encoder.${what}: not allowed from inside the onDeltaQ hook`);
    return this.h;
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
      this.hook = null;
      return;
    }
    this.hook = hook;
    if (!this.hookCb) {
      // One JSCallback for the encoder's life; it calls whatever hook is current.
      this.hookCb = new JSCallback((frameIndex: number) => this.runHook(frameIndex), { args: [FFIType.i32], returns: FFIType.i32 });
    }
    check(native().ag_encoder_set_hook(h, this.hookCb.ptr), "onDeltaQ");
  }

  /** Called from C inside encode(); never throws into C (bun:ffi would hand C a 0 and skip later calls). */
  private runHook(frameIndex: number): number {
    try {
      const hook = this.hook;
      if (!hook) return 0;
      const ret = hook(frameIndex, this.analysisView, this.offsets);
      if (ret !== undefined && ret !== null) {
        validateQpOffsets(ret, this.sbRows, this.sbCols, "the onDeltaQ hook's result");
        this.offsets.set(ret as ArrayLike<number>);
      } else {
        validateQpOffsets(this.offsets, this.sbRows, this.sbCols, "the offsets the onDeltaQ hook wrote");
      }
      return 0;
    } catch (e) {
      this.hookError = e;
      return 1;
    }
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
    let flags = 0;
    if (opts.qpOffsets !== undefined) {
      validateQpOffsets(opts.qpOffsets, this.sbRows, this.sbCols);
      this.offsets.set(opts.qpOffsets);
      flags |= ENC_OFFSETS;
    }
    if (opts.forceKey) flags |= ENC_KEY;
    const recon = this.options.recon;
    // The source is kept to measure the reconstruction against. Low delay returns this frame's packet
    // within this call, while the caller's planes are still intact, so only random access needs a copy.
    if (recon) this.sources.set(this.framesIn, this.options.predStructure === "low-delay" ? frame : copyFrame(frame));
    this.hookError = undefined;
    this.busy = true;
    let rc: number;
    try {
      rc = native().ag_encoder_encode(h, frame.y, frame.strideY, frame.u, frame.strideU, frame.v, frame.strideV, flags);
    } finally {
      this.busy = false;
    }
    if (rc < 0) {
      if (recon) this.sources.delete(this.framesIn);
      if (rc === AG.E_CALLBACK) {
        const err = this.hookError;
        this.hookError = undefined;
        if (err instanceof Av1GymError) throw err;
        const msg = err instanceof Error ? err.message : String(err);
        throw new CallbackError(`the onDeltaQ hook threw on frame ${this.framesIn}: ${msg}`, { cause: err });
      }
      check(rc, "Av1Encoder.encode");
    }
    this.framesIn++;
    if (this.hook || this.options.analysis) this.lastAnalysis = this.analysisView;
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
    while (check(lib.ag_encoder_next_packet(h, info)) === 1) {
      const size = info[PI.SIZE]!;
      const pts = info[PI.PTS]!;
      const data = new Uint8Array(size);
      const qp = info[PI.QP]!;
      // SVT labels a packet that only shows an existing frame with that frame's type: the header says.
      const type = info[PI.QINDEX] === -2 ? "SHOW_EXISTING" : (FRAME_TYPES[info[PI.PIC_TYPE]!] ?? "UNKNOWN");
      const pkt: Av1Packet = {
        data,
        pts,
        frameType: type,
        qindex: info[PI.QINDEX]! >= 0 ? info[PI.QINDEX]! : qp >= 63 ? 255 : qp * 4,
        qp,
        size,
        isKey: type === "KEY",
        encodeMs: info[PI.ENCODE_MS]!,
      };
      if (info[PI.TEMPORAL_ID]! >= 0) pkt.temporalLayer = info[PI.TEMPORAL_ID]!;
      if (info[PI.HAS_RECON] === 1) {
        const depth = this.options.bitDepth;
        const r = allocI420(this.width, this.height, depth);
        check(lib.ag_encoder_take_packet(h, data, size, r.y, r.u, r.v), "Av1Encoder");
        pkt.recon = r;
        const src = this.sources.get(pts);
        if (src) {
          this.sources.delete(pts);
          const s = superblockSse(r, src);
          const ny = this.width * this.height;
          const nc = r.u.length;
          pkt.sse = { y: s.y, u: s.u, v: s.v };
          pkt.sseSuperblocks = s.superblocks;
          pkt.psnr = { y: psnrFromSse(s.y, ny, depth), u: psnrFromSse(s.u, nc, depth), v: psnrFromSse(s.v, nc, depth) };
        }
      } else {
        check(lib.ag_encoder_take_packet(h, data, size, null, null, null), "Av1Encoder");
      }
      out.push(pkt);
    }
    return out;
  }

  /**
   * Releases the encoder (ending the stream first if needed; packets still inside are dropped) and the
   * hook. The IVF file, if any, is complete after this. Idempotent.
   */
  close(): void {
    if (!this.h) return;
    if (this.busy) throw new StateError("Av1Encoder.close: not allowed from inside the onDeltaQ hook");
    const h = this.h;
    this.h = null;
    finalizer.unregister(this);
    native().ag_encoder_close(h);
    this.hookCb?.close();
    this.hookCb = null;
    this.hook = null;
    this.sources.clear();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function copyFrame(f: I420Frame): I420Frame {
  const c = allocI420(f.width, f.height, f.bitDepth);
  const copyPlane = (src: I420Frame["y"], stride: number, dst: I420Frame["y"], w: number, h: number) => {
    if (stride === w) dst.set(src.subarray(0, w * h));
    else for (let y = 0; y < h; y++) dst.set(src.subarray(y * stride, y * stride + w), y * w);
  };
  const cw = (f.width + 1) >> 1, ch = (f.height + 1) >> 1;
  copyPlane(f.y, f.strideY, c.y, f.width, f.height);
  copyPlane(f.u, f.strideU, c.u, cw, ch);
  copyPlane(f.v, f.strideV, c.v, cw, ch);
  return c;
}
