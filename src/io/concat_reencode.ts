/**
 * concat(inputs, output, { reencode: true }): joins files a stream copy cannot (another codec, size, pixel
 * format, time base or parameter sets) by decoding every frame and encoding them into one stream.
 *
 * The common format, unless options say otherwise: the first input's frame size and frame rate, its codec
 * when we have an encoder for it (h264 -> libx264, hevc -> libx265, av1 -> our SVT-AV1 session, vp9 ->
 * libvpx-vp9; anything else -> libx264), 8-bit 4:2:0. Frames of another size are resampled (bilinear, per
 * plane). Every decoded frame is kept, in order, and stamped at the output frame rate: frame i of the output
 * is at i / fps, so timestamps are strictly increasing and continuous and the frame count is the sum of the
 * inputs' (a 25 fps input joined to a 30 fps one plays faster; no frame is dropped or duplicated).
 * Audio is not re-encoded: inputs with audio are refused unless `audio: "drop"` says to leave it out.
 */
import { z } from "zod";
import { FormatError, InvalidArgumentError } from "../core/errors";
import { zodMessage } from "../core/validation";
import { allocI420, type I420Frame } from "../core/frame";
import { VideoReader } from "./reader";
import { VideoWriter } from "./writer";
import { probe } from "./remux";

/** The encoder we use for a decoded codec name. */
const ENCODER_FOR: Record<string, string> = { h264: "libx264", hevc: "libx265", av1: "av1", vp9: "libvpx-vp9" };

export const ReencodeOptions = z
  .object({
    reencode: z.literal(true),
    /** libavformat's muxer name; default: from the output's extension. */
    format: z.string().min(1).optional(),
    /** Any VideoEncoder codec; default: the first input's (see above). */
    codec: z.string().min(1).optional(),
    width: z.number().int().min(2).max(16384).optional(),
    height: z.number().int().min(2).max(16384).optional(),
    fps: z.object({ num: z.number().int().min(1), den: z.number().int().min(1) }).strict().optional(),
    quality: z.object({ crf: z.number().min(0).max(63) }).strict().optional(),
    preset: z.union([z.string().min(1), z.number().int()]).optional(),
    /** "refuse" (default): inputs with audio are an error; "drop": the output has video only. */
    audio: z.enum(["refuse", "drop"]).default("refuse"),
  })
  .strict();
export type ReencodeOptions = z.input<typeof ReencodeOptions>;

export interface ReencodeResult {
  output: string;
  /** Frames encoded (the sum of the inputs' frame counts). */
  frames: number;
  /** What the inputs were encoded to. */
  codec: string;
  width: number;
  height: number;
  fps: { num: number; den: number };
}

export function concatReencode(inputs: string[], output: string, options: ReencodeOptions): ReencodeResult {
  const r = ReencodeOptions.safeParse(options);
  if (!r.success) throw new InvalidArgumentError(`concat: ${zodMessage(r.error)}`);
  const o = r.data;
  if ((o.width === undefined) !== (o.height === undefined)) throw new InvalidArgumentError("concat: give width and height together");
  const probes = inputs.map((p) => probe(p)); // every input readable before anything is written
  probes.forEach((p, i) => {
    if (!p.video) throw new FormatError(`concat: input ${i} (${p.path}) has no video stream`);
    if (p.video.frameCount === 0) throw new FormatError(`concat: input ${i} (${p.path}) has no video frames`);
    if (p.hasAudio && o.audio === "refuse")
      throw new FormatError(`concat: input ${i} (${p.path}) has audio, which re-encoding does not carry; pass audio: "drop" to join the video alone, or join without reencode`);
  });
  const first = probes[0]!.video!;
  const width = o.width ?? first.width, height = o.height ?? first.height;
  if (width % 2 || height % 2) throw new InvalidArgumentError(`concat: the output size ${width}x${height} must be even (4:2:0)`);
  const fps = o.fps ?? first.frameRate;
  const codec = o.codec ?? ENCODER_FOR[first.codec] ?? "libx264";
  const writer = new VideoWriter(output, {
    codec: codec as never, width, height, fps, inputFormat: "yuv420p",
    ...(o.format ? { format: o.format } : {}), ...(o.quality ? { quality: o.quality } : {}), ...(o.preset !== undefined ? { preset: o.preset } : {}),
  });
  let frames = 0;
  try {
    const scaled = allocI420(width, height);
    for (const p of probes) {
      using reader = new VideoReader(p.path, { bitDepth: 8 });
      const same = reader.metadata.width === width && reader.metadata.height === height;
      for (const f of reader.frames({ reuse: true })) {
        writer.write(same ? f : resize(f, scaled), { pts: frames });
        frames++;
      }
    }
    writer.close();
  } catch (e) {
    writer.abort();
    throw e;
  }
  return { output, frames, codec, width, height, fps: { ...fps } };
}

/** Bilinear resampling of each 8-bit plane into `dst` (pixel centres aligned, edges clamped). */
function resize(src: I420Frame, dst: I420Frame): I420Frame {
  const cw = (w: number) => (w + 1) >> 1;
  plane(src.y as Uint8Array, src.strideY, src.width, src.height, dst.y as Uint8Array, dst.strideY, dst.width, dst.height);
  plane(src.u as Uint8Array, src.strideU, cw(src.width), cw(src.height), dst.u as Uint8Array, dst.strideU, cw(dst.width), cw(dst.height));
  plane(src.v as Uint8Array, src.strideV, cw(src.width), cw(src.height), dst.v as Uint8Array, dst.strideV, cw(dst.width), cw(dst.height));
  return dst;
}

function plane(s: Uint8Array, ss: number, sw: number, sh: number, d: Uint8Array, ds: number, dw: number, dh: number): void {
  const fx = sw / dw, fy = sh / dh;
  for (let y = 0; y < dh; y++) {
    const sy = Math.min(Math.max((y + 0.5) * fy - 0.5, 0), sh - 1);
    const y0 = Math.floor(sy), y1 = Math.min(y0 + 1, sh - 1), wy = sy - y0;
    for (let x = 0; x < dw; x++) {
      const sx = Math.min(Math.max((x + 0.5) * fx - 0.5, 0), sw - 1);
      const x0 = Math.floor(sx), x1 = Math.min(x0 + 1, sw - 1), wx = sx - x0;
      const top = s[y0 * ss + x0]! * (1 - wx) + s[y0 * ss + x1]! * wx;
      const bottom = s[y1 * ss + x0]! * (1 - wx) + s[y1 * ss + x1]! * wx;
      d[y * ds + x] = Math.round(top * (1 - wy) + bottom * wy);
    }
  }
}
