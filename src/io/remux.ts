/**
 * Stream copy through libavformat (lib/io/remux.c): `probe` a file (video and audio streams, container,
 * duration, bit rate), `remux` it into another container and `concat` files, all without re-encoding.
 * Outputs appear at their path only when complete (they are written to `<path>.part` and renamed).
 */
import { ptr } from "bun:ffi";
import { check, native } from "../native/ffi";
import { InvalidArgumentError } from "../core/errors";
import { VideoReader, type VideoMetadata } from "./reader";
import { concatReencode, type ReencodeOptions, type ReencodeResult } from "./concat_reencode";

const cString = (s: string): Buffer => Buffer.from(s + "\0", "utf8");

function checkPath(p: unknown, what: string): string {
  if (typeof p !== "string" || p.length === 0) throw new InvalidArgumentError(`${what} must be a non-empty path`);
  if (p.includes("\0")) throw new InvalidArgumentError(`${what} ${JSON.stringify(p)} contains a NUL byte`);
  return p;
}

export interface StreamInfo {
  index: number;
  codec: string;
  profile?: string;
  /** Seconds (0 when the container does not say). */
  duration: number;
  /** Bits per second (0 when unknown). */
  bitRate: number;
  timeBase: { num: number; den: number };
}
export interface VideoStreamProbe extends StreamInfo {
  type: "video";
  width: number;
  height: number;
  pixelFormat: string;
  bitDepth: number;
  fps: number;
  frameRate: { num: number; den: number };
}
export interface AudioStreamProbe extends StreamInfo {
  type: "audio";
  channels: number;
  sampleRate: number;
  /** Bits per sample as coded (or of the sample format). */
  bitDepth: number;
  /** libavutil's description, e.g. "stereo", "5.1(side)". */
  channelLayout: string;
  sampleFormat: string;
}

export interface ProbeResult {
  path: string;
  /** libavformat's demuxer name(s), e.g. "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm". */
  container: string;
  /** Seconds. */
  duration: number;
  /** Overall bits per second. */
  bitRate: number;
  /** The first video stream's metadata as VideoReader gives it (exact frame count), or null. */
  video: VideoMetadata | null;
  videoStreams: VideoStreamProbe[];
  audioStreams: AudioStreamProbe[];
  hasAudio: boolean;
}

/** Describes a media file: its container, video (exact, as VideoReader reads it) and audio streams. */
export function probe(path: string): ProbeResult {
  checkPath(path, "probe: path");
  const p = cString(path);
  let buf = Buffer.alloc(4096);
  let n = check(native().ag_probe(p, ptr(buf), buf.length), `probe ${path}`);
  if (n >= buf.length) {
    buf = Buffer.alloc(n + 1);
    n = check(native().ag_probe(p, ptr(buf), buf.length), `probe ${path}`);
  }
  const raw = JSON.parse(buf.subarray(0, n).toString("utf8")) as {
    container: string; duration: number; bitRate: number; streams: (VideoStreamProbe | AudioStreamProbe)[];
  };
  // C writes rationals as [num, den]
  const rational = (r: unknown) => (Array.isArray(r) ? { num: r[0] as number, den: r[1] as number } : r);
  const streams = raw.streams.map((s) => ({ ...s, timeBase: rational(s.timeBase), ...(s.type === "video" ? { frameRate: rational(s.frameRate) } : {}) })) as (VideoStreamProbe | AudioStreamProbe)[];
  const videoStreams = streams.filter((s): s is VideoStreamProbe => s.type === "video");
  const audioStreams = streams.filter((s): s is AudioStreamProbe => s.type === "audio");
  let video: VideoMetadata | null = null;
  if (videoStreams.length) {
    using r = new VideoReader(path);
    video = r.metadata;
  }
  return { path, container: raw.container, duration: raw.duration, bitRate: raw.bitRate, video, videoStreams, audioStreams, hasAudio: audioStreams.length > 0 };
}

export interface RemuxOptions {
  /** libavformat's muxer name ("mp4", "matroska", "webm", "ivf", "h264", ...); default: from the output's extension. */
  format?: string;
}

export interface CopyResult {
  output: string;
  /** Packets written (all streams). */
  packets: number;
}

function copyCall(fn: (out: Buffer, fmt: Buffer | null, packets: BigInt64Array) => number, output: string, o: RemuxOptions, what: string): CopyResult {
  checkPath(output, `${what}: output`);
  if (o.format !== undefined) checkPath(o.format, `${what}: format`);
  const packets = new BigInt64Array(1);
  check(fn(cString(output), o.format ? cString(o.format) : null, packets), what);
  return { output, packets: Number(packets[0]) };
}

/** Changes container without re-encoding: every video and audio stream copied, timestamps intact. */
export function remux(input: string, output: string, options: RemuxOptions = {}): CopyResult {
  checkPath(input, "remux: input");
  if (input === output) throw new InvalidArgumentError("remux: the output must be another file than the input");
  const inp = cString(input);
  return copyCall((out, fmt, pk) => native().ag_remux(inp, out, fmt, ptr(pk)), output, options, `remux ${input}`);
}

/**
 * Joins files by stream copy: the output's timestamps continue from one file to the next, strictly
 * increasing, and its frame count is the sum of the inputs'. Files that a stream copy cannot join
 * (another codec, size, pixel format, time base, or other parameter sets) are refused with a FormatError
 * naming the first such file and property, unless `reencode: true`: then every frame is decoded and encoded
 * into one common format (the first input's size, frame rate and codec unless given; src/io/concat_reencode.ts).
 */
export function concat(inputs: string[], output: string, options?: RemuxOptions & { reencode?: false }): CopyResult;
export function concat(inputs: string[], output: string, options: ReencodeOptions): CopyResult & ReencodeResult;
export function concat(inputs: string[], output: string, options: (RemuxOptions & { reencode?: false }) | ReencodeOptions = {}): CopyResult {
  if (!Array.isArray(inputs) || inputs.length === 0) throw new InvalidArgumentError("concat: give at least one input file");
  inputs.forEach((p, i) => checkPath(p, `concat: input ${i}`));
  checkPath(output, "concat: output");
  if (inputs.includes(output)) throw new InvalidArgumentError(`concat: the output ${output} is also an input`);
  if (options === null || typeof options !== "object") throw new InvalidArgumentError("concat: options must be an object");
  if (options.reencode === true) {
    const r = concatReencode(inputs, output, options);
    return { ...r, packets: r.frames };
  }
  if (options.reencode !== undefined && options.reencode !== false) throw new InvalidArgumentError(`concat: reencode must be true or false`);
  const { reencode: _, ...copyOptions } = options as RemuxOptions & { reencode?: false };
  options = copyOptions;
  const names = inputs.map(cString);
  const table = new BigUint64Array(names.map((b) => BigInt(ptr(b))));
  const r = copyCall((out, fmt, pk) => native().ag_concat(ptr(table), names.length, out, fmt, ptr(pk)), output, options, "concat");
  void names; // the strings must outlive the call
  return r;
}

