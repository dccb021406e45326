/**
 * What each libavcodec encoder calls the settings VideoEncoder exposes: the one quality knob (`crf`) mapped to
 * each encoder's own rate-control option, the preset, low latency (one packet per frame, in the same call),
 * real key frames on request and none by accident. The tables are data so they can be read, tested and
 * recorded with every stream (`VideoEncoder.nativeOptions`).
 */
import { InvalidArgumentError } from "../core/errors";

export const SOFTWARE_ENCODERS = ["libx264", "libx265", "libaom-av1", "librav1e", "libvpx-vp9"] as const;
export const HARDWARE_ENCODERS = [
  "h264_videotoolbox",
  "hevc_videotoolbox",
  "h264_nvenc",
  "hevc_nvenc",
  "h264_vaapi",
  "hevc_vaapi",
  "h264_qsv",
  "hevc_qsv",
  "h264_v4l2m2m",
] as const;
export type SoftwareEncoderName = (typeof SOFTWARE_ENCODERS)[number];
export type HardwareEncoderName = (typeof HARDWARE_ENCODERS)[number];
export type LavcEncoderName = SoftwareEncoderName | HardwareEncoderName;

export type AvOptions = Record<string, string>;

/** FFmpeg's FF_QP2LAMBDA: `-q:v q` sets global_quality = q * 118 with the qscale flag. */
const QP2LAMBDA = 118;

/**
 * The one quality knob, `crf` (0..63, lower is better), as each encoder's native option. `native` names what
 * the encoder actually receives, in ffmpeg CLI terms, for corpus rows.
 */
export const QUALITY_KNOBS: Record<LavcEncoderName, { native: string; options: (crf: number) => AvOptions } | null> = {
  libx264: { native: "crf", options: (crf) => ({ crf: String(crf) }) },
  libx265: { native: "crf", options: (crf) => ({ crf: String(crf) }) },
  "libaom-av1": { native: "crf + b:v 0", options: (crf) => ({ crf: String(crf), b: "0" }) },
  "libvpx-vp9": { native: "crf + b:v 0", options: (crf) => ({ crf: String(crf), b: "0" }) },
  // rav1e's quantizer is an AV1 qindex (0..255): crf 0..63 scaled onto it.
  librav1e: { native: "qp (= round(crf * 255 / 63))", options: (crf) => ({ qp: String(Math.round((crf * 255) / 63)) }) },
  h264_nvenc: { native: "rc=constqp + qp", options: (crf) => ({ rc: "constqp", qp: String(crf) }) },
  hevc_nvenc: { native: "rc=constqp + qp", options: (crf) => ({ rc: "constqp", qp: String(crf) }) },
  h264_qsv: { native: "global_quality", options: (crf) => ({ global_quality: String(crf) }) },
  hevc_qsv: { native: "global_quality", options: (crf) => ({ global_quality: String(crf) }) },
  h264_vaapi: { native: "qp", options: (crf) => ({ rc_mode: "CQP", qp: String(crf) }) },
  hevc_vaapi: { native: "qp", options: (crf) => ({ rc_mode: "CQP", qp: String(crf) }) },
  h264_videotoolbox: {
    native: "q:v = 100 - 2 * crf",
    options: (crf) => ({ flags: "+qscale", global_quality: String(Math.max(1, 100 - 2 * crf) * QP2LAMBDA) }),
  },
  hevc_videotoolbox: {
    native: "q:v = 100 - 2 * crf",
    options: (crf) => ({ flags: "+qscale", global_quality: String(Math.max(1, 100 - 2 * crf) * QP2LAMBDA) }),
  },
  h264_v4l2m2m: null, // bitrate only
};

/** The encoder's speed/quality preset option (x264 names, or a number for libvpx/libaom/rav1e). */
export const PRESET_OPTION: Record<LavcEncoderName, string | null> = {
  libx264: "preset",
  libx265: "preset",
  "libaom-av1": "cpu-used",
  "libvpx-vp9": "cpu-used",
  librav1e: "speed",
  h264_nvenc: "preset",
  hevc_nvenc: "preset",
  h264_qsv: "preset",
  hevc_qsv: "preset",
  h264_vaapi: null,
  hevc_vaapi: null,
  h264_videotoolbox: null,
  hevc_videotoolbox: null,
  h264_v4l2m2m: null,
};

/**
 * Low latency: no reordering and no look-ahead, so each frame's packet comes out of the call that sent it.
 * (x264/x265's zerolatency tune: no B-frames, no look-ahead, sliced threads instead of frame threads.)
 */
export const LOW_LATENCY: Record<LavcEncoderName, AvOptions> = {
  libx264: { tune: "zerolatency" },
  libx265: { tune: "zerolatency" },
  "libaom-av1": { usage: "realtime", "lag-in-frames": "0" },
  "libvpx-vp9": { deadline: "realtime", "lag-in-frames": "0" },
  // rav1e 0.5.1 (bookworm) still holds 4 frames back with these: refused in low latency (LOW_LATENCY_REFUSED).
  librav1e: { "rav1e-params": "low_latency=true:rdo_lookahead_frames=1" },
  h264_nvenc: { zerolatency: "1", delay: "0" },
  hevc_nvenc: { zerolatency: "1", delay: "0" },
  h264_qsv: { async_depth: "1", look_ahead: "0" },
  hevc_qsv: { async_depth: "1" },
  h264_vaapi: {},
  hevc_vaapi: {},
  h264_videotoolbox: { realtime: "1" },
  hevc_videotoolbox: { realtime: "1" },
  h264_v4l2m2m: {},
};

/**
 * Encoders that cannot give one packet per frame in the same call whatever they are told: measured here,
 * rav1e 0.5.1 returns its first packet after the 5th frame even with low_latency=true and
 * rdo_lookahead_frames=1 (its scene-detection look-ahead). `latency: "low"` is refused for them.
 */
export const LOW_LATENCY_REFUSED: Partial<Record<LavcEncoderName, string>> = {
  librav1e: "rav1e 0.5.1 holds 4 frames back even in its low-latency mode; use libaom-av1 or av1 (SVT-AV1) for low latency",
};

/** Quiet encoders: x265 prints its banner to stderr itself unless told otherwise. */
export const QUIET: Partial<Record<LavcEncoderName, AvOptions>> = {
  libx265: { "x265-params": "log-level=error" },
};

/** Key frames only where asked (gop, or encode(..., { keyFrame: true })): no scene-cut key frames, and forced ones are IDR. */
export const KEY_FRAMES: Record<LavcEncoderName, AvOptions> = {
  libx264: { "forced-idr": "1", sc_threshold: "0" },
  libx265: { "forced-idr": "1", "x265-params": "scenecut=0:open-gop=0" },
  "libaom-av1": {},
  "libvpx-vp9": {},
  librav1e: {},
  h264_nvenc: { "forced-idr": "1", "no-scenecut": "1" },
  hevc_nvenc: { "forced-idr": "1", "no-scenecut": "1" },
  h264_qsv: {},
  hevc_qsv: {},
  h264_vaapi: {},
  hevc_vaapi: {},
  h264_videotoolbox: {},
  hevc_videotoolbox: {},
  h264_v4l2m2m: {},
};

/** "no periodic key frames": the largest interval every encoder here takes. */
export const NO_GOP = 1 << 20;

/** Merges option sets; ':'-separated parameter strings (x265-params, rav1e-params, x264-params) are joined. */
export function mergeOptions(...sets: AvOptions[]): AvOptions {
  const out: AvOptions = {};
  for (const s of sets)
    for (const [k, v] of Object.entries(s)) {
      out[k] = k.endsWith("-params") && out[k] ? `${out[k]}:${v}` : v;
    }
  return out;
}

/** The AVOptions for one quality setting of one encoder; a typed error when the encoder has no such mode. */
export function qualityOptions(encoder: LavcEncoderName, crf: number): AvOptions {
  const knob = QUALITY_KNOBS[encoder];
  if (!knob) throw new InvalidArgumentError(`${encoder} has no constant-quality mode: use bitrateKbps`);
  return knob.options(crf);
}
