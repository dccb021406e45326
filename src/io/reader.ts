/**
 * VideoReader: frames out of a video file (anything libavformat opens: MP4, MKV, WebM, IVF, Y4M...) or a raw
 * planar .yuv file, with exact frame indices, exact random access and metadata. Decoding happens in C
 * (lib/io/reader.c) straight into planes allocated here, so frames cross the FFI boundary without copies.
 *
 * Frame i is the frame with the i-th smallest presentation timestamp: on open the container's packets are
 * demuxed once (no decoding) to build that table, so `frameCount` is exact and `frame(i)` is bit-identical
 * to the i-th frame of a sequential decode.
 */
import { z } from "zod";
import type { Pointer } from "bun:ffi";
import { extname } from "node:path";
import { check, checkHandle, native } from "../native/ffi";
import { READER_KEY, RI } from "../native/abi";
import { cString, withConfig } from "../native/config";
import { NativeHandle } from "../native/handle";
import { FrameTimestampError, InvalidArgumentError, OutOfRangeError, StateError, type TimestampProblem } from "../core/errors";
import { allocI420, chromaSize, validateI420, type I420Frame } from "../core/frame";

export type { Rational } from "../core/rational";
import type { Rational } from "../core/rational";

/** Output sample layout: planar 4:2:0 (I420), or packed 8-bit RGB converted by libswscale. */
export type ReaderFormat = "yuv420p" | "rgb24";

export interface ReaderOptions {
  /** Raw files only (required there): frame width and height in pixels. */
  width?: number;
  height?: number;
  /** Raw files only: an FFmpeg pixel format name, e.g. "yuv420p" (default) or "yuv420p10le". */
  pixelFormat?: string;
  /** Frame rate: raw files (default 25), or to override what the container says. A number or a fraction. */
  fps?: number | Rational;
  /** "yuv420p" (default): I420 frames; "rgb24": one packed RGB plane. */
  format?: ReaderFormat;
  /** 8: convert deeper sources (10-bit...) to 8-bit planes. Default: the source's depth (16-bit planes above 8). */
  bitDepth?: 8;
  /** Decoder threads (frame and slice threading). Default 1. */
  threads?: number;
  /** Treat the file as raw planar video whatever its extension (.yuv and .raw are raw anyway). */
  raw?: boolean;
}

/** Where a frame sits in the file. */
export interface FrameTiming {
  /** Frame index: 0 .. frameCount-1, in presentation order. */
  index: number;
  /** Presentation time in seconds from the first frame. */
  time: number;
  /** The exact presentation timestamp in `timeBase` units (as stored in the container). */
  pts: number;
  timeBase: Rational;
}

/** A planar 4:2:0 frame: 8-bit samples in Uint8Array, deeper ones in Uint16Array (value in the low bits). */
export interface VideoFrame extends I420Frame, FrameTiming {}

/** A packed RGB24 frame: `data` holds `height` rows of `stride` bytes, each pixel R, G, B. */
export interface RgbFrame extends FrameTiming {
  format: "rgb24";
  width: number;
  height: number;
  bitDepth: 8;
  data: Uint8Array;
  stride: number;
}

export type FrameOf<F extends ReaderFormat> = F extends "rgb24" ? RgbFrame : VideoFrame;

export interface VideoMetadata {
  path: string;
  width: number;
  height: number;
  /** Frames per second as a number, and exactly as a fraction. */
  fps: number;
  frameRate: Rational;
  /** Exact: counted by demuxing (containers) or from the file size (raw). */
  frameCount: number;
  /** Seconds from the first frame's start to the last frame's end. */
  duration: number;
  /** libavcodec's codec name ("h264", "av1", "vp9", "rawvideo"...). */
  codec: string;
  /** The source's pixel format (FFmpeg name) and bit depth. */
  pixelFormat: string;
  bitDepth: number;
  /** What frames are returned as. */
  format: ReaderFormat;
  outputBitDepth: number;
  timeBase: Rational;
  /** False when the file has no usable timestamps: frames are then numbered in decode output order and
   * random access decodes from the start. */
  exactTimestamps: boolean;
}

export interface FramesOptions {
  /** First frame index (default 0). */
  start?: number;
  /** One past the last frame index (default frameCount). */
  end?: number;
  /** Yield the same frame object each time, overwritten in place (no allocation per frame). */
  reuse?: boolean;
}

export const RAW_EXTENSIONS = new Set([".yuv", ".raw"]);

const rational = z.object({ num: z.number().int().positive(), den: z.number().int().positive() }).strict();
const optionsSchema = z
  .object({
    width: z.number().int().positive().max(65536).optional(),
    height: z.number().int().positive().max(65536).optional(),
    pixelFormat: z
      .string()
      .regex(/^[a-z0-9_]+$/, "an FFmpeg pixel format name such as yuv420p or yuv420p10le")
      .optional(),
    fps: z.union([z.number().positive().finite().max(1e6), rational]).optional(),
    format: z.enum(["yuv420p", "rgb24"]).optional(),
    bitDepth: z.literal(8).optional(),
    threads: z.number().int().min(1).max(64).optional(),
    raw: z.boolean().optional(),
  })
  .strict();

function zodMessage(e: z.ZodError): string {
  return e.issues.map((i) => `${i.path.join(".") || "options"}: ${i.message}`).join("; ");
}

/** A frame rate as an exact fraction: integers as n/1, NTSC-style rates (29.97...) as n*1000/1001. */
function toRational(fps: number | Rational): Rational {
  if (typeof fps === "object") return { num: fps.num, den: fps.den };
  if (Number.isInteger(fps)) return { num: fps, den: 1 };
  const ntsc = Math.round((fps * 1001) / 1000);
  if (Math.abs((ntsc * 1000) / 1001 - fps) < 1e-3) return { num: ntsc * 1000, den: 1001 };
  return { num: Math.round(fps * 1000), den: 1000 };
}

function checkIndex(i: number, count: number): void {
  if (typeof i !== "number" || !Number.isInteger(i))
    throw new InvalidArgumentError(`frame index must be an integer (got ${String(i)})`);
  if (i < 0 || i >= count) throw new OutOfRangeError(`frame ${i} is outside the file (frames 0..${count - 1})`);
}

const freeReader = (h: Pointer) => native().ag_reader_close(h);

/** Readers never closed are freed (decoder and file) when collected. */
export class VideoReader<F extends ReaderFormat = "yuv420p"> extends NativeHandle implements Iterable<FrameOf<F>> {
  readonly path: string;
  readonly metadata: VideoMetadata;
  #pts: Float64Array;
  #key: Uint8Array;
  #times: Float64Array;
  #format: ReaderFormat;
  #bps: number;

  constructor(path: string, options: ReaderOptions & { format?: F } = {}) {
    if (typeof path !== "string" || path.length === 0)
      throw new InvalidArgumentError("VideoReader needs a file path (a non-empty string)");
    const parsed = optionsSchema.safeParse(options ?? {});
    if (!parsed.success) throw new InvalidArgumentError(`invalid VideoReader options: ${zodMessage(parsed.error)}`);
    const o = parsed.data;
    const raw = o.raw ?? RAW_EXTENSIONS.has(extname(path).toLowerCase());
    if (raw && (o.width === undefined || o.height === undefined))
      throw new InvalidArgumentError(
        `${path} is raw video with no header: pass its size, e.g. new VideoReader(path, { width: 352, height: 288, pixelFormat: "yuv420p" })`,
      );
    if (!raw && (o.width !== undefined || o.height !== undefined || o.pixelFormat !== undefined))
      throw new InvalidArgumentError(
        `width, height and pixelFormat are for raw .yuv files; ${path} has a container that says them (pass raw: true to read it as raw)`,
      );
    const fps = o.fps === undefined ? { num: 0, den: 0 } : toRational(o.fps);
    const format = o.format ?? "yuv420p";
    const n = native();
    const h = withConfig(
      {
        [READER_KEY.RAW]: raw,
        [READER_KEY.WIDTH]: raw ? o.width : undefined,
        [READER_KEY.HEIGHT]: raw ? o.height : undefined,
        [READER_KEY.PIXEL_FORMAT]: raw ? (o.pixelFormat ?? "yuv420p") : undefined,
        [READER_KEY.FPS_NUM]: fps.num || undefined,
        [READER_KEY.FPS_DEN]: fps.den || undefined,
        [READER_KEY.THREADS]: o.threads ?? 1,
        [READER_KEY.OUTPUT]: format,
        [READER_KEY.BIT_DEPTH]: o.bitDepth,
      },
      (cfg) => checkHandle(n.ag_reader_open(cString(path), cfg) as Pointer | null), // the native messages name the file
    );
    super("VideoReader", h, freeReader);
    this.#format = format;
    this.path = path;

    const info = new BigInt64Array(RI.COUNT);
    check(n.ag_reader_info(h, info, info.length));
    const at = (k: number) => Number(info[k]);
    const [width, height, fpsNum, fpsDen, count] = [at(RI.WIDTH), at(RI.HEIGHT), at(RI.FPS_NUM), at(RI.FPS_DEN), at(RI.FRAMES)];
    const [tbNum, tbDen, outDepth, srcDepth, counting] = [at(RI.TB_NUM), at(RI.TB_DEN), at(RI.OUT_DEPTH), at(RI.SRC_DEPTH), at(RI.COUNTING)];
    const pts = new BigInt64Array(count);
    this.#key = new Uint8Array(count);
    check(n.ag_reader_timestamps(h, pts, this.#key, count));
    this.#pts = Float64Array.from(pts, Number);
    const tb = tbNum / tbDen;
    const p0 = count > 0 ? this.#pts[0] : 0;
    this.#times = this.#pts.map((p) => (p - p0) * tb);
    this.#bps = outDepth > 8 ? 2 : 1;
    const timeBase = Object.freeze({ num: tbNum, den: tbDen });
    this.metadata = Object.freeze({
      path,
      width,
      height,
      fps: fpsNum / fpsDen,
      frameRate: Object.freeze({ num: fpsNum, den: fpsDen }),
      frameCount: count,
      duration: n.ag_reader_duration(h),
      codec: String(n.ag_reader_codec(h)),
      pixelFormat: String(n.ag_reader_pixfmt(h)),
      bitDepth: srcDepth,
      format: this.#format,
      outputBitDepth: outDepth,
      timeBase,
      exactTimestamps: counting === 0,
    });
  }

  get width(): number {
    return this.metadata.width;
  }
  get height(): number {
    return this.metadata.height;
  }
  get frameCount(): number {
    return this.metadata.frameCount;
  }
  get fps(): number {
    return this.metadata.fps;
  }
  get duration(): number {
    return this.metadata.duration;
  }
  #live(): Pointer {
    if (this.closed) throw new StateError(`VideoReader for ${this.path} is closed`);
    return this.handle("read");
  }

  /** Presentation time (seconds from the first frame) of frame i. */
  timeOf(i: number): number {
    this.#live();
    checkIndex(i, this.frameCount);
    return this.#times[i];
  }

  /** Whether frame i is a key frame (random access to it needs no earlier frames). */
  isKeyFrame(i: number): boolean {
    this.#live();
    checkIndex(i, this.frameCount);
    return this.#key[i] === 1;
  }

  /** The index of the frame whose time is nearest to `seconds`, or OutOfRangeError if none is within
   * `toleranceS` (default: one frame interval). */
  indexAt(seconds: number, options: { toleranceS?: number } = {}): number {
    this.#live();
    if (typeof seconds !== "number" || !Number.isFinite(seconds))
      throw new InvalidArgumentError(`time must be a finite number of seconds (got ${String(seconds)})`);
    const tol = options?.toleranceS ?? 1 / this.fps;
    if (typeof tol !== "number" || !(tol >= 0) || !Number.isFinite(tol))
      throw new InvalidArgumentError(`toleranceS must be a finite number >= 0 (got ${String(tol)})`);
    const t = this.#times;
    const best = nearestIndex(t, seconds);
    const dist = Math.abs(t[best] - seconds);
    if (dist > tol)
      throw new OutOfRangeError(
        `no frame within ${tol} s of ${seconds} s (the file's frames span 0..${t[t.length - 1]} s; nearest is frame ${best} at ${t[best]} s)`,
      );
    return best;
  }

  /** A new frame of this reader's output shape, for `frame(i, into)`. */
  allocFrame(): FrameOf<F> {
    return this.#frameOn(new ArrayBuffer(this.frameBytes), 0);
  }

  /** Bytes one output frame takes (tight planes). */
  get frameBytes(): number {
    const { width, height, outputBitDepth } = this.metadata;
    if (this.#format === "rgb24") return width * height * 3;
    const c = chromaSize(width, height);
    return (width * height + 2 * c.width * c.height) * (outputBitDepth > 8 ? 2 : 1);
  }

  /** A frame whose tight planes live in `buf` from byte `off` (frameBytes long). */
  #frameOn(buf: ArrayBuffer, off: number): FrameOf<F> {
    const { width, height, outputBitDepth } = this.metadata;
    const timing = { index: -1, time: NaN, pts: NaN, timeBase: this.metadata.timeBase };
    if (this.#format === "rgb24") {
      const f: RgbFrame = { ...timing, format: "rgb24", width, height, bitDepth: 8, data: new Uint8Array(buf, off, width * height * 3), stride: width * 3 };
      return f as FrameOf<F>;
    }
    const c = chromaSize(width, height);
    const Ctor = outputBitDepth > 8 ? Uint16Array : Uint8Array;
    const bps = Ctor.BYTES_PER_ELEMENT;
    const ys = width * height, cs = c.width * c.height;
    const f: VideoFrame = {
      ...timing, width, height, bitDepth: outputBitDepth,
      y: new Ctor(buf, off, ys), u: new Ctor(buf, off + ys * bps, cs), v: new Ctor(buf, off + (ys + cs) * bps, cs),
      strideY: width, strideU: c.width, strideV: c.width,
    };
    return f as FrameOf<F>;
  }

  /**
   * The frame nearest to each timestamp (seconds), in one batch: the frames' planes share one contiguous
   * buffer (`data`, query order, `frameBytes` each), with each chosen frame's index, time and pts. Frames are
   * decoded in file order (each once, however often it is asked for). Every timestamp that is not a finite
   * number >= 0 or has no frame within `toleranceS` (default: one frame duration) is listed, with the
   * nearest frame's time, in one FrameTimestampError; nothing is decoded then.
   */
  framesAt(timestamps: ArrayLike<number>, options: { toleranceS?: number } = {}): FramesAt<F> {
    this.#live();
    if (timestamps === null || typeof timestamps !== "object" || typeof timestamps.length !== "number")
      throw new InvalidArgumentError("framesAt takes an array of timestamps in seconds");
    const tol = options?.toleranceS ?? 1 / this.fps;
    if (typeof tol !== "number" || !(tol >= 0) || !Number.isFinite(tol))
      throw new InvalidArgumentError(`toleranceS must be a finite number >= 0 (got ${String(tol)})`);
    const n = timestamps.length;
    const indices = new Int32Array(n);
    const problems: TimestampProblem[] = [];
    const t = this.#times;
    for (let k = 0; k < n; k++) {
      const s = timestamps[k];
      if (typeof s !== "number" || !Number.isFinite(s)) {
        problems.push({ query: k, requested: s as number, reason: "not a finite number" });
        continue;
      }
      if (s < 0) {
        problems.push({ query: k, requested: s, nearest: t[0], reason: `negative (the first frame is at ${t[0]} s)` });
        continue;
      }
      const i = nearestIndex(t, s);
      if (Math.abs(t[i] - s) > tol) {
        problems.push({ query: k, requested: s, nearest: t[i], reason: `nearest frame ${i} is at ${t[i]} s` });
        continue;
      }
      indices[k] = i;
    }
    if (problems.length) throw new FrameTimestampError(problems, tol);
    const bytes = this.frameBytes;
    const data = new Uint8Array(n * bytes);
    const frames = Array.from({ length: n }, (_, k) => this.#frameOn(data.buffer, k * bytes));
    const order = Array.from(indices.keys()).sort((a, b) => indices[a]! - indices[b]!);
    const h = this.#live();
    let prev = -1, prevK = -1;
    for (const k of order) {
      const i = indices[k]!;
      if (i === prev) {
        // asked again: copy the frame already decoded
        data.copyWithin(k * bytes, prevK * bytes, (prevK + 1) * bytes);
        Object.assign(frames[k]!, { index: i, pts: this.#pts[i], time: t[i] });
      } else this.#read(h, i, frames[k]!);
      prev = i;
      prevK = k;
    }
    return { data, frames, indices, times: Float64Array.from(indices, (i) => t[i]!), pts: Float64Array.from(indices, (i) => this.#pts[i]!) };
  }

  /**
   * Frame i (exact: the i-th frame in presentation order). Seeks to the preceding key frame only when
   * needed: a later frame in the same GOP decodes on, the same frame again comes from a cache.
   * With `into` (from allocFrame(), or any frame of the same shape) the frame is decoded into it.
   */
  frame(i: number, into?: FrameOf<F>): FrameOf<F> {
    const h = this.#live();
    checkIndex(i, this.frameCount);
    let f: FrameOf<F>;
    if (into === undefined) f = this.allocFrame();
    else {
      this.#checkInto(into);
      f = into;
    }
    this.#read(h, i, f);
    return f;
  }

  /** The frame nearest to `seconds` (see indexAt). */
  frameAt(seconds: number, options: { toleranceS?: number } = {}, into?: FrameOf<F>): FrameOf<F> {
    return this.frame(this.indexAt(seconds, options), into);
  }

  /** Frames start..end-1 in order (decoded sequentially: no seeking after the first). */
  *frames(options: FramesOptions = {}): Generator<FrameOf<F>, void, undefined> {
    const h = this.#live();
    const count = this.frameCount;
    const start = options?.start ?? 0;
    const end = options?.end ?? count;
    for (const [name, v] of [["start", start], ["end", end]] as const)
      if (typeof v !== "number" || !Number.isInteger(v)) throw new InvalidArgumentError(`${name} must be an integer (got ${String(v)})`);
    if (start < 0 || end > count || start > end)
      throw new OutOfRangeError(`frames ${start}..${end} are outside the file (0..${count}, end exclusive)`);
    const shared = options?.reuse ? this.allocFrame() : undefined;
    for (let i = start; i < end; i++) {
      if (this.closed) throw new StateError(`VideoReader for ${this.path} was closed during iteration`);
      const f = shared ?? this.allocFrame();
      this.#read(h, i, f);
      yield f;
    }
  }

  [Symbol.iterator](): Iterator<FrameOf<F>> {
    return this.frames();
  }

  #read(h: Pointer, i: number, f: FrameOf<F>): void {
    const b = this.#bps;
    let rc: number;
    if (this.#format === "rgb24") {
      const r = f as RgbFrame;
      rc = native().ag_reader_read(h, i, r.data, r.data.byteLength, r.stride, null, 0, 0, null, 0, 0);
    } else {
      const v = f as VideoFrame;
      rc = native().ag_reader_read(
        h,
        i,
        v.y,
        v.y.byteLength,
        v.strideY * b,
        v.u,
        v.u.byteLength,
        v.strideU * b,
        v.v,
        v.v.byteLength,
        v.strideV * b,
      );
    }
    if (rc < 0) check(rc); // the native message names the file and frame; no string built on success
    f.index = i;
    f.pts = this.#pts[i];
    f.time = this.#times[i];
    f.timeBase = this.metadata.timeBase;
  }

  #checkInto(f: FrameOf<F>): void {
    const { width, height, outputBitDepth } = this.metadata;
    if (this.#format === "rgb24") {
      const r = f as RgbFrame;
      if (!r || !(r.data instanceof Uint8Array) || r.width !== width || r.height !== height || !Number.isInteger(r.stride) || r.stride < width * 3 || r.data.length < r.stride * (height - 1) + width * 3)
        throw new InvalidArgumentError(`into must be a ${width}x${height} RGB24 frame (use reader.allocFrame())`);
    } else validateI420(f as VideoFrame, { width, height, bitDepth: outputBitDepth });
  }
}

/** Index of the time nearest to `s` in ascending `t` (the earlier one on a tie). */
function nearestIndex(t: Float64Array, s: number): number {
  let lo = 0;
  let hi = t.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (t[mid]! < s) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(t[lo - 1]! - s) <= Math.abs(t[lo]! - s)) return lo - 1;
  return lo;
}

/** What framesAt returns: the frames (views into `data`, in query order) and where each came from. */
export interface FramesAt<F extends ReaderFormat> {
  /** Every frame's tight planes, one after the other (frameBytes each). */
  data: Uint8Array;
  frames: FrameOf<F>[];
  /** The chosen frame's index for each timestamp. */
  indices: Int32Array;
  /** Its time in seconds from the first frame. */
  times: Float64Array;
  /** Its pts in the stream's time base. */
  pts: Float64Array;
}
