/**
 * VideoDecoder: compressed packets (from any encoder) back to I420 frames, in-process, through libavcodec
 * (lib/codec/decoder.c). The corpus uses it to score what a decoder shows without writing files.
 */
import { ptr, type Pointer } from "bun:ffi";
import { native, check, checkHandle } from "../native/ffi";
import { NativeHandle } from "../native/handle";
import { cString } from "../native/config";
import { InvalidArgumentError } from "../core/errors";
import { AG } from "../native/abi";
import { allocI420, type I420Frame } from "../core/frame";

export interface DecoderOptions {
  /** libavcodec's codec name: "h264", "hevc", "vp9", "av1", ... */
  codec: string;
  width: number;
  height: number;
  /** 8 (Uint8Array planes) or 10/12 (Uint16Array planes). Default 8. */
  bitDepth?: number;
  /** Codec configuration for length-prefixed streams (avcC/hvcC), when the packets do not carry it in-band. */
  extradata?: Uint8Array;
  threads?: number;
}

export interface DecodedFrame {
  frame: I420Frame;
  /** The pts of the packet the frame came from (packets' own units). */
  pts: number;
}


export class VideoDecoder extends NativeHandle {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  #ptsOut = new BigInt64Array(1);

  constructor(opts: DecoderOptions) {
    const { codec, width, height } = opts;
    const bitDepth = opts.bitDepth ?? 8;
    if (typeof codec !== "string" || codec.length === 0 || codec.includes("\0"))
      throw new InvalidArgumentError(`decoder codec must be a codec name such as "h264" (got ${JSON.stringify(codec)})`);
    for (const [k, v] of [["width", width], ["height", height]] as const)
      if (!Number.isInteger(v) || v < 1) throw new InvalidArgumentError(`decoder ${k} must be a positive integer (got ${String(v)})`);
    const ex = opts.extradata;
    const h = native().ag_decoder_open(
      cString(codec), ex && ex.length ? ptr(ex) : null, ex?.length ?? 0, width, height, bitDepth, opts.threads ?? 1,
    ) as Pointer | null;
    super("VideoDecoder", checkHandle(h, `decoder (${codec})`), (p) => native().ag_decoder_close(p));
    this.width = width;
    this.height = height;
    this.bitDepth = bitDepth;
  }

  /** Sends one packet and returns the frames it completed (usually zero or one). */
  decode(data: Uint8Array, pts = 0): DecodedFrame[] {
    const h = this.handle("decode");
    if (!(data instanceof Uint8Array) || data.length === 0) throw new InvalidArgumentError("decode() takes a non-empty Uint8Array packet");
    check(native().ag_decoder_send(h, ptr(data), data.length, BigInt(Math.trunc(pts))), "decode");
    return this.#drain(h);
  }

  /** Ends the stream and returns the frames still held (reordering, frame threads). */
  flush(): DecodedFrame[] {
    const h = this.handle("flush");
    check(native().ag_decoder_send(h, null, 0, 0n), "flush");
    return this.#drain(h);
  }

  #drain(h: Pointer): DecodedFrame[] {
    const out: DecodedFrame[] = [];
    const bps = this.bitDepth > 8 ? 2 : 1;
    for (;;) {
      const f = allocI420(this.width, this.height, this.bitDepth);
      const rc = native().ag_decoder_receive(
        h,
        ptr(f.y), f.strideY * bps, f.y.byteLength,
        ptr(f.u), f.strideU * bps, f.u.byteLength,
        ptr(f.v), f.strideV * bps, f.v.byteLength,
        ptr(this.#ptsOut),
      );
      if (rc === AG.E_EOF) return out;
      check(rc, "decode");
      out.push({ frame: f, pts: Number(this.#ptsOut[0]) });
    }
  }
}
