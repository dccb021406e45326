/**
 * Writing real files: `LavfMuxer` (any Encoder's packets into MP4/MKV/WebM/IVF/raw Annex B/OBU through
 * libavformat, lib/io/mux.c) and `VideoWriter` (frames in, a file out: a VideoEncoder feeding a LavfMuxer).
 *
 * A file is complete or absent: non-fragmented output is written to "<path>.part" and renamed on close();
 * `fragmented` MP4 is written in place a fragment at a time, so a killed process leaves every completed
 * fragment playable. A codec the container cannot hold is refused before any file is created.
 */
import type { Pointer } from "bun:ffi";
import { z } from "zod";
import { native, check, checkHandle } from "../native/ffi";
import { NativeHandle } from "../native/handle";
import { Av1GymError, InvalidArgumentError, StateError } from "../core/errors";
import { rescale, type Rational } from "../core/rational";
import type { Packet, VideoStreamInfo } from "../codec/packet";
import type { Muxer } from "./muxer";
import { VideoEncoder, type InputFrame, type VideoEncodeOptions, type VideoEncoderOptions } from "../codec/video_encoder";

const cString = (s: string): Buffer => Buffer.from(s + "\0", "utf8");

const MuxOptions = z
  .object({
    /** A libavformat muxer name ("mp4", "matroska", "webm", "ivf", "h264", "hevc", "obu"); default: from the extension. */
    format: z.string().min(1).optional(),
    /** MP4 only: fragments of `frames` packets (true: 30), each flushed to the file as it completes. */
    fragmented: z.union([z.boolean(), z.object({ frames: z.number().int().min(1).max(100000) }).strict()]).default(false),
    /** MP4 only: move the index to the front when finishing (default true; not with fragmented). */
    faststart: z.boolean().default(true),
  })
  .strict();
export type MuxOptions = z.input<typeof MuxOptions>;

function zodMessage(e: z.ZodError): string {
  return e.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
}

export class LavfMuxer extends NativeHandle implements Muxer {
  readonly path: string;
  /** The container: "mp4", "matroska", "webm", "ivf", "h264", "hevc", "obu"... */
  readonly format: string;
  #stream: VideoStreamInfo | null = null;
  #packets = 0;
  readonly #state: { abort: boolean };

  constructor(path: string, options: MuxOptions = {}) {
    if (typeof path !== "string" || path.length === 0) throw new InvalidArgumentError("LavfMuxer: path must be a non-empty string");
    const r = MuxOptions.safeParse(options);
    if (!r.success) throw new InvalidArgumentError(`LavfMuxer: ${zodMessage(r.error)}`);
    const o = r.data;
    const frames = o.fragmented === true ? 30 : o.fragmented === false ? 0 : o.fragmented.frames;
    const lib = native();
    const h = checkHandle(lib.ag_mux_open(cString(path), o.format ? cString(o.format) : null, frames, o.faststart ? 1 : 0) as Pointer | null, "LavfMuxer");
    // The free function finishes the file, or drops it after abort(); a state object, not `this`, so the
    // finalizer does not keep the muxer alive.
    const state = { abort: false };
    super("LavfMuxer", h, (p) => (state.abort ? (lib.ag_mux_abort(p), 0) : lib.ag_mux_close(p)));
    this.#state = state;
    this.path = path;
    this.format = String(lib.ag_mux_format(h));
  }

  /** Declares the (one) video stream; checks the container can hold its codec, then creates the file. */
  addVideo(info: VideoStreamInfo): number {
    const h = this.handle("addVideo");
    if (this.#stream) throw new StateError("LavfMuxer.addVideo: this muxer takes one video stream");
    if (!info || typeof info.codec !== "string") throw new InvalidArgumentError("LavfMuxer.addVideo: info must name its codec");
    const tb = info.timeBase;
    const fps: Rational = info.frameRate ?? { num: tb.den, den: tb.num };
    const x = info.extradata && info.extradata.length ? info.extradata : null;
    check(native().ag_mux_add_video(h, cString(info.codec), info.width, info.height, tb.num, tb.den, fps.num, fps.den, x, x?.length ?? 0), "LavfMuxer.addVideo");
    // What containers record beside the codec configuration (MP4's vpcC/colr, Matroska's Colour).
    const extra = info as VideoStreamInfo & { pixelFormat?: string; colour?: Record<string, string> };
    const props: Record<string, string | undefined> = { pix_fmt: extra.pixelFormat, ...extra.colour };
    for (const [k, v] of Object.entries(props)) if (v) check(native().ag_mux_set_stream(h, cString(k), cString(v)), "LavfMuxer.addVideo");
    this.#stream = info;
    return 0;
  }

  /** Writes one packet (decoding order); its timestamps are rescaled from its own time base if needed. */
  write(packet: Packet, stream = 0): void {
    const h = this.handle("write");
    const s = this.#stream;
    if (!s) throw new StateError("LavfMuxer.write: call addVideo first");
    if (stream !== 0) throw new InvalidArgumentError(`LavfMuxer.write: no stream ${stream}`);
    if (!packet || !(packet.data instanceof Uint8Array) || packet.data.length === 0) throw new InvalidArgumentError("LavfMuxer.write: packet.data must be a non-empty Uint8Array");
    const from = packet.timeBase ?? s.timeBase;
    const pts = rescale(packet.pts, from, s.timeBase), dts = rescale(packet.dts ?? packet.pts, from, s.timeBase);
    const dur = rescale(packet.duration ?? 0, from, s.timeBase);
    check(native().ag_mux_write(h, packet.data, packet.data.length, pts, dts, dur, packet.isKey ? 1 : 0), "LavfMuxer.write");
    this.#packets++;
  }

  /** Packets written so far. */
  get packets(): number {
    return this.#packets;
  }

  /** Finishes the file (trailer, faststart, rename into place). Throws (and leaves no file) when it cannot. */
  override close(): void {
    const rc = this.closeHandle();
    if (typeof rc === "number") check(rc, `LavfMuxer.close (${this.path})`);
  }

  /** Drops the output: no file is left at the path. Idempotent. */
  abort(): void {
    this.#state.abort = true;
    this.closeHandle();
  }
}

const WriterOptions = z
  .object({
    format: z.string().min(1).optional(),
    fragmented: z.union([z.boolean(), z.object({ frames: z.number().int().min(1).max(100000) }).strict()]).optional(),
    faststart: z.boolean().optional(),
  })
  .passthrough();
/**
 * The encoder's options and the muxer's. `format` here is the container (as for LavfMuxer); the H.264/HEVC
 * bitstream form follows the container (length-prefixed with avcC/hvcC in MP4/MOV/Matroska, Annex B in raw
 * .h264/.hevc).
 */
export type VideoWriterOptions = Omit<VideoEncoderOptions, "format"> & MuxOptions;

/** Containers that store H.264/HEVC length-prefixed with avcC/hvcC (the rest take Annex B). */
const LENGTH_PREFIXED = new Set(["mp4", "mov", "matroska", "webm"]);

export class VideoWriter implements Disposable {
  readonly path: string;
  readonly encoder: VideoEncoder;
  readonly muxer: LavfMuxer;
  #open = true;

  constructor(path: string, options: VideoWriterOptions) {
    const r = WriterOptions.safeParse(options);
    if (!r.success) throw new InvalidArgumentError(`VideoWriter: ${zodMessage(r.error)}`);
    const { format, fragmented, faststart, ...enc } = r.data as VideoWriterOptions;
    this.path = path;
    this.muxer = new LavfMuxer(path, { format, fragmented, faststart });
    try {
      const avc = LENGTH_PREFIXED.has(this.muxer.format) && /^(libx26[45]|h264_|hevc_)/.test(String(enc.codec));
      this.encoder = new VideoEncoder({ ...(enc as VideoEncoderOptions), format: avc ? "avc" : "annexb" });
    } catch (e) {
      this.muxer.abort();
      throw e;
    }
    try {
      this.muxer.addVideo(this.encoder);
    } catch (e) {
      this.encoder.close();
      this.muxer.abort();
      throw e;
    }
  }

  /** Encodes one frame and writes its packets. */
  write(frame: InputFrame, opts?: VideoEncodeOptions): void {
    if (!this.#open) throw new StateError("VideoWriter.write: the writer is closed");
    this.#guard(() => {
      for (const p of this.encoder.encode(frame, opts)) this.muxer.write(p);
    });
  }

  /** Frames written so far. */
  get frames(): number {
    return this.encoder.framesEncoded;
  }

  /** Flushes the encoder and finishes the file. Idempotent. */
  close(): void {
    if (!this.#open) return;
    this.#guard(() => {
      for (const p of this.encoder.flush()) this.muxer.write(p);
    });
    this.#open = false;
    this.encoder.close();
    this.muxer.close();
  }

  /** Drops the file: nothing is left at the path. */
  abort(): void {
    if (!this.#open) return;
    this.#open = false;
    this.encoder.close();
    this.muxer.abort();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** A failure while writing leaves no half file: the output is dropped and the error rethrown. */
  #guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      // Bad input (a wrong frame) leaves the writer usable; anything else ends it.
      if (e instanceof InvalidArgumentError) throw e;
      this.abort();
      throw e instanceof Av1GymError ? e : new StateError(`VideoWriter: ${(e as Error).message}`, { cause: e });
    }
  }
}
