/**
 * IVF files (the container aomenc/SvtAv1EncApp write for raw AV1), over lib/io/ivf.c. `IvfMuxer` is the
 * Muxer for AV1 packets; `IvfWriter` the low-level writer under it (temporal units with timestamps).
 * ffmpeg/ffprobe read the result. Both are freed (and the file's frame count written) if dropped unclosed.
 */
import type { Pointer } from "bun:ffi";
import { z } from "zod";
import { native, check, checkHandle } from "../native/ffi";
import { cString } from "../native/config";
import { NativeHandle } from "../native/handle";
import { InvalidArgumentError, StateError } from "../core/errors";
import { rescale, type Rational } from "../core/rational";
import type { Packet, VideoStreamInfo } from "../codec/packet";
import type { Muxer } from "./muxer";

const positive = z.number().int().min(1).max(2 ** 31 - 1);
const IvfOptions = z
  .object({
    width: z.number().int().min(1).max(65535),
    height: z.number().int().min(1).max(65535),
    /** Frames per second: timestamps count frames (time base 1/fps). */
    fps: z.object({ num: positive, den: positive }).strict().optional(),
    /** Or the time base of the timestamps directly. */
    timeBase: z.object({ num: positive, den: positive }).strict().optional(),
  })
  .strict()
  .refine((o) => (o.fps === undefined) !== (o.timeBase === undefined), "give either fps or timeBase");
export type IvfOptions = z.input<typeof IvfOptions>;

const freeIvf = (h: Pointer) => native().ag_ivf_close(h);

export class IvfWriter extends NativeHandle {
  /** The time base of the timestamps written. */
  readonly timeBase: Rational;
  private count = 0;
  private lastPts = -1;

  constructor(path: string, options: IvfOptions) {
    if (typeof path !== "string" || path.length === 0) throw new InvalidArgumentError("IvfWriter: path must be a non-empty string");
    const r = IvfOptions.safeParse(options);
    if (!r.success) throw new InvalidArgumentError(`IvfWriter: ${r.error.issues.map((i) => `${i.path.length ? i.path.join(".") + ": " : ""}${i.message}`).join("; ")}`);
    const o = r.data;
    const tb = o.timeBase ?? { num: o.fps!.den, den: o.fps!.num };
    super("IvfWriter", checkHandle(native().ag_ivf_open(cString(path), o.width, o.height, tb.num, tb.den) as Pointer | null, "IvfWriter"), freeIvf);
    this.timeBase = Object.freeze({ ...tb });
  }

  /** Appends one temporal unit; pts (in timeBase units) defaults to the last one + 1. */
  write(data: Uint8Array, pts: number = this.lastPts + 1): void {
    const h = this.handle("write");
    if (!(data instanceof Uint8Array)) throw new InvalidArgumentError("IvfWriter.write: data must be a Uint8Array");
    if (!Number.isSafeInteger(pts) || pts < 0) throw new InvalidArgumentError(`IvfWriter.write: pts ${pts} must be a non-negative integer`);
    check(native().ag_ivf_write(h, data.length ? data : null, data.length, pts), "IvfWriter.write");
    this.count++;
    this.lastPts = pts;
  }

  /** Frames written so far. */
  get frames(): number {
    return this.count;
  }

  /** Writes the frame count into the header and closes the file. Idempotent. */
  override close(): void {
    const rc = this.closeHandle();
    if (typeof rc === "number") check(rc, "IvfWriter.close");
  }
}

/** The Muxer for AV1 in IVF: one video stream. */
export class IvfMuxer implements Muxer {
  readonly path: string;
  private writer: IvfWriter | null = null;
  private closed = false;

  constructor(path: string) {
    if (typeof path !== "string" || path.length === 0) throw new InvalidArgumentError("IvfMuxer: path must be a non-empty string");
    this.path = path;
  }

  /** Opens the file for the stream (IVF holds one AV1 video stream); returns 0. */
  addVideo(info: VideoStreamInfo): number {
    if (this.closed) throw new StateError("IvfMuxer.addVideo: the muxer is closed");
    if (this.writer) throw new InvalidArgumentError("IvfMuxer: IVF holds one video stream; it has one already");
    if (!info || info.codec !== "av1") throw new InvalidArgumentError(`IvfMuxer: IVF here holds AV1, not ${info?.codec}`);
    this.writer = new IvfWriter(this.path, { width: info.width, height: info.height, timeBase: info.timeBase });
    return 0;
  }

  /** Writes one packet; its timestamps are rescaled when its time base is not the stream's. */
  write(packet: Packet, stream = 0): void {
    if (this.closed) throw new StateError("IvfMuxer.write: the muxer is closed");
    if (!this.writer) throw new StateError("IvfMuxer.write: call addVideo first");
    if (stream !== 0) throw new InvalidArgumentError(`IvfMuxer.write: no stream ${stream} (IVF has stream 0 only)`);
    this.writer.write(packet.data, rescale(packet.pts, packet.timeBase, this.writer.timeBase));
  }

  /** Packets written so far. */
  get frames(): number {
    return this.writer?.frames ?? 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.writer?.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
