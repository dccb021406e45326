/**
 * VideoEncoder: any libavcodec video encoder (x264, x265, libaom, rav1e, libvpx-vp9, the hardware ones) behind
 * the `Encoder` interface, and AV1 through av1gym's own SVT-AV1 session (`codec: "av1"`, or `"auto"` when no
 * hardware encoder is available). libavcodec's libsvtav1 is never opened in this process: it links SVT-AV1
 * 1.4 while av1gym links 2.3 under the same symbol names.
 *
 * Low latency gives exactly one packet per frame, returned by the `encode()` call that sent the frame.
 * H.264/HEVC come as Annex B (parameter sets in-band on every IDR) or, with `format: "avc"`, length-prefixed
 * with an avcC/hvcC `extradata`. `codecString` is read from the bitstream the encoder produced.
 */
import type { Pointer } from "bun:ffi";
import { z } from "zod";
import { zodMessage } from "../core/validation";
import { native, check, checkHandle } from "../native/ffi";
import { NativeHandle } from "../native/handle";
import { cString, withConfig, type ConfigEntries } from "../native/config";
import { LAVC_FLAG, LAVC_KEY, LP } from "../native/abi";
import { InvalidArgumentError, StateError } from "../core/errors";
import { validateI420, type I420Frame } from "../core/frame";
import type { Rational } from "../core/rational";
import type { Encoder, Packet } from "./packet";
import { Av1Encoder } from "./av1_encoder";
import { codecStringOf, type CodecStringCodec } from "./codec_string";
import {
  HARDWARE_ENCODERS,
  KEY_FRAMES,
  LOW_LATENCY,
  LOW_LATENCY_REFUSED,
  NO_GOP,
  QUIET,
  PRESET_OPTION,
  QUALITY_KNOBS,
  SOFTWARE_ENCODERS,
  mergeOptions,
  qualityOptions,
  type AvOptions,
  type LavcEncoderName,
} from "./encoder_knobs";
import { firstAvailableHardware } from "./hw_probe";

export const INPUT_FORMATS = ["yuv420p", "nv12", "rgb24", "rgba", "yuv420p10le"] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

/** An NV12 frame: a luma plane and one interleaved U/V plane (strides in bytes). */
export interface Nv12Frame {
  width: number;
  height: number;
  y: Uint8Array;
  uv: Uint8Array;
  strideY: number;
  strideUV: number;
}
/** A packed RGB24 or RGBA frame (`stride` bytes per row). */
export interface PackedFrame {
  width: number;
  height: number;
  data: Uint8Array;
  stride: number;
}
export type InputFrame = I420Frame | Nv12Frame | PackedFrame;

const int = (what: string) => z.number({ invalid_type_error: `${what} must be a number` }).int(`${what} must be an integer`);
const CODECS = ["auto", "av1", ...SOFTWARE_ENCODERS, ...HARDWARE_ENCODERS] as const;
const COLOR = {
  range: ["tv", "pc"],
  matrix: ["bt709", "bt470bg", "smpte170m", "bt2020nc", "rgb", "unknown"],
  primaries: ["bt709", "bt470bg", "smpte170m", "bt2020", "unknown"],
  transfer: ["bt709", "smpte170m", "bt470bg", "iec61966-2-1", "smpte2084", "arib-std-b67", "unknown"],
} as const;

export const VideoEncoderOptions = z
  .object({
    codec: z.enum(CODECS, { errorMap: () => ({ message: `codec must be one of ${CODECS.join(", ")}` }) }),
    width: int("width").min(1).max(16384),
    height: int("height").min(1).max(16384),
    fps: z.object({ num: int("fps.num").min(1), den: int("fps.den").min(1) }).strict().default({ num: 30, den: 1 }),
    inputFormat: z.enum(INPUT_FORMATS).default("yuv420p"),
    quality: z.object({ crf: z.number().min(0).max(63) }).strict().optional(),
    bitrateKbps: int("bitrateKbps").min(1).max(1_000_000).optional(),
    /** A key frame every `gop` frames; without it, only the first frame and the ones you force. */
    gop: int("gop").min(1).max(NO_GOP).optional(),
    bframes: int("bframes").min(0).max(16).optional(),
    /** x264/x265/NVENC/QSV preset name; libvpx/libaom cpu-used, rav1e speed, SVT-AV1 preset as a number. */
    preset: z.union([z.string().min(1), z.number().int()]).optional(),
    threads: int("threads").min(0).max(64).default(1),
    latency: z.enum(["low", "normal"]).default("normal"),
    /** H.264/HEVC: Annex B with parameter sets in-band, or length-prefixed with avcC/hvcC extradata. */
    format: z.enum(["annexb", "avc"]).default("annexb"),
    range: z.enum(COLOR.range).optional(),
    matrix: z.enum(COLOR.matrix).optional(),
    primaries: z.enum(COLOR.primaries).optional(),
    transfer: z.enum(COLOR.transfer).optional(),
    /** Passed as AVOptions (after everything above, so they win); an unknown or rejected one is an error naming it. */
    options: z.record(z.string()).default({}),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.quality && o.bitrateKbps !== undefined)
      ctx.addIssue({ code: "custom", path: ["quality"], message: "give quality or bitrateKbps, not both" });
    if (o.latency === "low" && o.bframes)
      ctx.addIssue({ code: "custom", path: ["bframes"], message: "low latency means no B-frames (bframes 0)" });
    if (o.format === "avc" && !/^(h264|hevc|libx26[45])/.test(o.codec) && o.codec !== "auto")
      ctx.addIssue({ code: "custom", path: ["format"], message: `format "avc" is for H.264/HEVC, not ${o.codec}` });
  });
export type VideoEncoderOptions = z.input<typeof VideoEncoderOptions>;
type Resolved = z.output<typeof VideoEncoderOptions>;

/**
 * Everything a libavcodec encoder receives, in order (later sets win): colour, threads, GOP, B-frames, the
 * quality knob or bitrate, preset, low latency, key-frame discipline, then the user's own options.
 */
export function avOptionsFor(name: LavcEncoderName, o: Resolved): AvOptions {
  const c = defaultColour(o);
  const colour: AvOptions = { color_range: c.color_range, colorspace: c.color_space, color_primaries: c.color_primaries, color_trc: c.color_trc };
  const rate: AvOptions = o.bitrateKbps !== undefined ? { b: `${o.bitrateKbps}k` } : qualityOptions(name, o.quality?.crf ?? 23);
  const preset: AvOptions = {};
  if (o.preset !== undefined) {
    const key = PRESET_OPTION[name];
    if (!key) throw new InvalidArgumentError(`${name} has no preset option`);
    preset[key] = String(o.preset);
  }
  const low = o.latency === "low";
  if (low && LOW_LATENCY_REFUSED[name]) throw new InvalidArgumentError(`VideoEncoder: latency "low": ${LOW_LATENCY_REFUSED[name]}`);
  return mergeOptions(
    QUIET[name] ?? {},
    colour,
    { threads: String(o.threads), g: String(o.gop ?? NO_GOP) },
    o.bframes !== undefined || low ? { bf: String(o.bframes ?? 0) } : {},
    rate,
    preset,
    low ? LOW_LATENCY[name] : {},
    KEY_FRAMES[name],
    o.options,
  );
}

/** The colour the stream signals: the options given, else BT.601 (SMPTE 170M) limited range up to 576 lines, BT.709 above. */
function defaultColour(o: Resolved) {
  const sd = o.height <= 576;
  return {
    color_range: o.range ?? "tv",
    color_space: o.matrix ?? (sd ? "smpte170m" : "bt709"),
    color_primaries: o.primaries ?? (sd ? "smpte170m" : "bt709"),
    color_trc: o.transfer ?? (sd ? "smpte170m" : "bt709"),
  };
}

/** One libavcodec encoder handle (lib/codec/lavc.c). */
class LavcSession extends NativeHandle {
  readonly codec: string;
  readonly pixFmt: string;
  readonly extradata?: Uint8Array;
  private readonly info = new Float64Array(LP.COUNT);

  /** settings: the shim's keys (LAVC_KEY: width, height, fps_num, fps_den, input, format) and AVOptions. */
  constructor(name: string, settings: ConfigEntries) {
    const lib = native();
    const h = checkHandle(withConfig(settings, (cfg) => lib.ag_lavc_open(cString(name), cfg)) as Pointer | null, "VideoEncoder");
    super("VideoEncoder", h, (p) => lib.ag_lavc_close(p));
    this.codec = String(lib.ag_lavc_codec(h));
    this.pixFmt = String(lib.ag_lavc_pix_fmt(h));
    const n = lib.ag_lavc_extradata(h, null, 0);
    if (n > 0) {
      this.extradata = new Uint8Array(n);
      lib.ag_lavc_extradata(h, this.extradata, n);
    }
  }

  encode(planes: [Uint8Array | Uint16Array | null, number][], pts: number, key: boolean): number {
    const h = this.handle("encode");
    const p = (i: number) => planes[i] ?? [null, 0];
    const [a, sa] = p(0), [b, sb] = p(1), [c, sc] = p(2);
    return check(
      native().ag_lavc_encode(h, a, a?.byteLength ?? 0, sa, b, b?.byteLength ?? 0, sb, c, c?.byteLength ?? 0, sc, pts, key ? LAVC_FLAG.KEYFRAME : 0),
      "VideoEncoder.encode",
    );
  }

  flush(): number {
    return check(native().ag_lavc_flush(this.handle("flush")), "VideoEncoder.flush");
  }

  /** The queued packets: [data, pts, dts, duration, key]. */
  *packets(): Generator<[Uint8Array, number, number, number, boolean]> {
    const h = this.handle("packets");
    const lib = native();
    while (check(lib.ag_lavc_next_packet(h, this.info, this.info.length)) === 1) {
      const data = new Uint8Array(this.info[LP.SIZE]!);
      check(lib.ag_lavc_take_packet(h, data, data.length), "VideoEncoder");
      yield [data, this.info[LP.PTS]!, this.info[LP.DTS]!, this.info[LP.DURATION]!, this.info[LP.KEY] === 1];
    }
  }
}

export interface VideoEncodeOptions {
  /** Make this frame a real key frame (H.264/HEVC: an IDR). */
  keyFrame?: boolean;
  /** Presentation timestamp in `timeBase` (1/fps) units; default: the frame index. */
  pts?: number;
}

export class VideoEncoder implements Encoder {
  /** libavcodec's codec name of the stream: "h264", "hevc", "av1", "vp9". */
  readonly codec: string;
  /** The encoder actually used: a libavcodec name, or "svt-av1" (av1gym's SVT-AV1 session). */
  readonly encoderName: string;
  readonly width: number;
  readonly height: number;
  readonly timeBase: Rational;
  readonly frameRate: Rational;
  readonly options: Readonly<Resolved>;
  /** What the encoder was given for the quality knob, in its own terms (for corpus rows), e.g. "crf=23". */
  readonly nativeQuality: string;
  /** The complete AVOptions passed to libavcodec (empty for SVT-AV1). */
  readonly nativeOptions: Readonly<AvOptions>;
  /** The pixel format frames are encoded in (the input is converted with libswscale when it differs). */
  readonly encodedPixelFormat: string;
  /** Same as encodedPixelFormat (the name containers read). */
  get pixelFormat(): string {
    return this.encodedPixelFormat;
  }
  /**
   * Colour (libav names), for containers: what a libavcodec stream signals in its VUI/headers. SVT-AV1's
   * sequence header carries no colour description, so for `av1` only the container records it.
   */
  readonly colour: Readonly<Record<"color_range" | "color_space" | "color_primaries" | "color_trc", string>>;
  #extradata?: Uint8Array;
  #codecString = "";
  #lavc: LavcSession | null = null;
  #svt: Av1Encoder | null = null;
  #frames = 0;
  #flushed = false;

  constructor(options: VideoEncoderOptions) {
    const r = VideoEncoderOptions.safeParse(options);
    if (!r.success) throw new InvalidArgumentError(`VideoEncoder: ${zodMessage(r.error)}`);
    const o = r.data;
    this.options = Object.freeze(o);
    this.width = o.width;
    this.height = o.height;
    this.frameRate = { ...o.fps };
    this.timeBase = { num: o.fps.den, den: o.fps.num };
    let name: string = o.codec;
    if (name === "auto") name = firstAvailableHardware({ width: o.width, height: o.height }, ["h264_videotoolbox", "h264_nvenc", "h264_vaapi", "h264_qsv"]) ?? "av1";
    this.encoderName = name === "av1" ? "svt-av1" : name;
    this.colour = Object.freeze(defaultColour(o));
    if (name === "av1") {
      this.#svt = openSvt(o);
      this.codec = "av1";
      this.nativeOptions = {};
      this.encodedPixelFormat = o.inputFormat === "yuv420p10le" ? "yuv420p10le" : "yuv420p";
      this.nativeQuality = o.bitrateKbps !== undefined ? `${o.latency === "low" ? "cbr" : "vbr"} ${o.bitrateKbps} kbps` : `crf=${Math.max(1, Math.round(o.quality?.crf ?? 35))}`;
      return;
    }
    const lname = name as LavcEncoderName;
    const av = avOptionsFor(lname, o);
    const settings: ConfigEntries = {
      [LAVC_KEY.WIDTH]: o.width,
      [LAVC_KEY.HEIGHT]: o.height,
      [LAVC_KEY.FPS_NUM]: o.fps.num,
      [LAVC_KEY.FPS_DEN]: o.fps.den,
      [LAVC_KEY.INPUT]: o.inputFormat,
      [LAVC_KEY.FORMAT]: /^(h264|hevc)$/.test(codecOf(lname)) ? o.format : undefined,
      ...av,
    };
    this.#lavc = new LavcSession(lname, settings);
    this.codec = this.#lavc.codec;
    this.nativeOptions = Object.freeze(av);
    this.encodedPixelFormat = this.#lavc.pixFmt;
    this.#extradata = this.#lavc.extradata;
    const knob = QUALITY_KNOBS[lname];
    this.nativeQuality = o.bitrateKbps !== undefined ? `b:v ${o.bitrateKbps}k` : `${knob?.native} (${Object.entries(qualityOptions(lname, o.quality?.crf ?? 23)).map(([k, v]) => `${k}=${v}`).join(", ")})`;
    if (this.#extradata && this.codec !== "vp9") this.#codecString = codecStringOf(this.codec as CodecStringCodec, this.#extradata, { fps: o.fps });
  }

  /** avcC/hvcC (format "avc"), the encoder's global header, or SVT-AV1's sequence header once it is out. */
  get extradata(): Uint8Array | undefined {
    return this.#svt ? this.#svt.extradata : this.#extradata;
  }

  /** Read from the stream's own headers; "" until the first key frame (or the avcC/hvcC extradata) showed them. */
  get codecString(): string {
    return this.#codecString;
  }

  get closed(): boolean {
    return (this.#lavc?.closed ?? true) && (this.#svt?.closed ?? true);
  }

  /** Frames passed to encode() so far. */
  get framesEncoded(): number {
    return this.#frames;
  }

  encode(frame: InputFrame, opts: VideoEncodeOptions & { forceKey?: boolean } = {}): Packet[] {
    if (this.closed) throw new StateError("VideoEncoder.encode: the encoder is closed");
    if (this.#flushed) throw new StateError("VideoEncoder.encode: the stream was flushed; open a new encoder");
    if (opts === null || typeof opts !== "object") throw new InvalidArgumentError("VideoEncoder.encode: options must be an object");
    const key = !!(opts.keyFrame ?? opts.forceKey);
    const pts = opts.pts ?? this.#frames;
    if (!Number.isSafeInteger(pts)) throw new InvalidArgumentError(`VideoEncoder.encode: pts ${pts} must be an integer`);
    const planes = this.planesOf(frame);
    let out: Packet[];
    if (this.#svt) {
      out = this.#svt.encode(toI420(frame, this.options.inputFormat), { forceKey: key, pts }).map((p) => this.fromSvt(p));
    } else {
      this.#lavc!.encode(planes, pts, key);
      out = this.drain();
    }
    this.#frames++;
    return out;
  }

  flush(): Packet[] {
    if (this.closed) throw new StateError("VideoEncoder.flush: the encoder is closed");
    if (this.#flushed) return [];
    this.#flushed = true;
    if (this.#svt) return this.#svt.flush().map((p) => this.fromSvt(p));
    this.#lavc!.flush();
    return this.drain();
  }

  close(): void {
    this.#lavc?.close();
    this.#svt?.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private drain(): Packet[] {
    const out: Packet[] = [];
    for (const [data, pts, dts, duration, isKey] of this.#lavc!.packets()) {
      // Key frames carry the headers (Annex B parameter sets, AV1 sequence header, VP9 key frame header); in
      // the "avc" format the parameter sets are in extradata, read at construction.
      const headersInBand = this.options.format === "annexb" || (this.codec !== "h264" && this.codec !== "hevc");
      if (isKey && headersInBand)
        this.#codecString = codecStringOf(this.codec as CodecStringCodec, data, { fps: this.frameRate }) || this.#codecString;
      out.push({ data, pts, dts, duration, timeBase: this.timeBase, isKey });
    }
    return out;
  }

  /** Av1Encoder's packets as they are (same time base, 1/fps), the codec string read from key frames. */
  private fromSvt(p: Packet): Packet {
    if (p.isKey) this.#codecString = codecStringOf("av1", p.data) || this.#codecString;
    return p;
  }

  /** Checks a frame against the input format and size; returns its planes with byte strides for C. */
  private planesOf(frame: InputFrame): [Uint8Array | Uint16Array | null, number][] {
    const fmt = this.options.inputFormat;
    const bad = (msg: string): never => {
      throw new InvalidArgumentError(`VideoEncoder.encode: ${msg}`);
    };
    if (frame === null || typeof frame !== "object") bad("frame must be an object");
    if (frame.width !== this.width || frame.height !== this.height)
      bad(`frame is ${frame.width}x${frame.height}, the encoder was opened for ${this.width}x${this.height}`);
    if (fmt === "yuv420p" || fmt === "yuv420p10le") {
      const f = frame as I420Frame;
      if (!("y" in f && "u" in f && "v" in f)) bad(`inputFormat ${fmt} takes I420 frames (y, u, v planes)`);
      validateI420(f, { width: this.width, height: this.height, bitDepth: fmt === "yuv420p" ? 8 : 10 });
      const s = fmt === "yuv420p" ? 1 : 2;
      return [
        [f.y, f.strideY * s],
        [f.u, f.strideU * s],
        [f.v, f.strideV * s],
      ];
    }
    if (fmt === "nv12") {
      const f = frame as Nv12Frame;
      if (!(f.y instanceof Uint8Array && f.uv instanceof Uint8Array)) bad("inputFormat nv12 takes { y, uv, strideY, strideUV } with Uint8Array planes");
      return [
        [f.y, f.strideY],
        [f.uv, f.strideUV],
      ];
    }
    const f = frame as PackedFrame;
    if (!(f.data instanceof Uint8Array)) bad(`inputFormat ${fmt} takes { data, stride } with a Uint8Array`);
    return [[f.data, f.stride]];
  }
}

function codecOf(name: LavcEncoderName): string {
  return name.startsWith("h264") || name === "libx264" ? "h264" : name.startsWith("hevc") || name === "libx265" ? "hevc" : name.includes("av1") ? "av1" : "vp9";
}

/** AV1 through av1gym's SVT-AV1 session, with VideoEncoder's options mapped onto Av1Encoder's. */
function openSvt(o: Resolved): Av1Encoder {
  if (o.inputFormat === "rgb24" || o.inputFormat === "rgba")
    throw new InvalidArgumentError(`VideoEncoder: AV1 (SVT-AV1) takes yuv420p, nv12 or yuv420p10le input, not ${o.inputFormat}`);
  if (Object.keys(o.options).length) throw new InvalidArgumentError(`VideoEncoder: AV1 (SVT-AV1) takes no AVOptions (${Object.keys(o.options).join(", ")})`);
  if (o.preset !== undefined && typeof o.preset !== "number") throw new InvalidArgumentError("VideoEncoder: the SVT-AV1 preset is a number 0..13");
  const low = o.latency === "low";
  return new Av1Encoder({
    width: o.width,
    height: o.height,
    fps: o.fps,
    preset: (o.preset as number | undefined) ?? 10,
    ...(o.bitrateKbps !== undefined ? (low ? { cbr: o.bitrateKbps } : { vbr: o.bitrateKbps }) : { crf: Math.max(1, Math.round(o.quality?.crf ?? 35)) }),
    predStructure: low ? "low-delay" : "random-access",
    keyInt: o.gop ?? -1,
    threads: o.threads,
    bitDepth: o.inputFormat === "yuv420p10le" ? 10 : 8,
  });
}

/** NV12 -> I420 (de-interleaving the chroma) for SVT-AV1; I420 frames pass through. */
function toI420(frame: InputFrame, fmt: InputFormat): I420Frame {
  if (fmt !== "nv12") return frame as I420Frame;
  const f = frame as Nv12Frame;
  const cw = (f.width + 1) >> 1, ch = (f.height + 1) >> 1;
  const u = new Uint8Array(cw * ch), v = new Uint8Array(cw * ch);
  for (let y = 0; y < ch; y++)
    for (let x = 0; x < cw; x++) {
      u[y * cw + x] = f.uv[y * f.strideUV + 2 * x]!;
      v[y * cw + x] = f.uv[y * f.strideUV + 2 * x + 1]!;
    }
  return { width: f.width, height: f.height, bitDepth: 8, y: f.y, u, v, strideY: f.strideY, strideU: cw, strideV: cw };
}
