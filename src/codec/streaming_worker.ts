/**
 * One StreamingEncoder stream: a Bun Worker that turns the frames the main thread posts into a file
 * (VideoWriter), computes running per-channel statistics on a downsampled copy, and gives each frame's slot
 * in the bounded queue back (a shared counter) once it is written. Conversions (CHW, float) happen here,
 * off the caller's thread, so that feed() costs one copy.
 */
import { VideoWriter, type VideoWriterOptions } from "../io/writer";
import type { InputFormat } from "./video_encoder";
import { ChannelStats } from "./channel_stats";
import { IN_FLIGHT, writeFailure, type StreamMessage, type StreamReply, type FrameMessage } from "./streaming_protocol";

declare const self: Worker;

let writer: VideoWriter | null = null;
let options: (Omit<VideoWriterOptions, "width" | "height" | "inputFormat"> & { path: string }) | null = null;
let control: SharedArrayBuffer | null = null;
let counter: Int32Array | null = null;
let stats: ChannelStats | null = null;
let frames = 0;
let failed = false;

const reply = (m: StreamReply) => postMessage(m);

/** The frame as the encoder takes it: packed RGB/RGBA (HWC uint8) or planar/semi-planar YUV. */
function toInput(m: FrameMessage): { format: InputFormat; frame: Parameters<VideoWriter["write"]>[0]; hwc?: Uint8Array } {
  const { width: w, height: h } = m;
  if (m.kind === "i420") {
    const y = new Uint8Array(m.data, 0, w * h), cw = (w + 1) >> 1, ch = (h + 1) >> 1;
    return { format: "yuv420p", frame: { width: w, height: h, bitDepth: 8, y, u: new Uint8Array(m.data, w * h, cw * ch), v: new Uint8Array(m.data, w * h + cw * ch, cw * ch), strideY: w, strideU: cw, strideV: cw } };
  }
  if (m.kind === "nv12") {
    const cw = (w + 1) >> 1, ch = (h + 1) >> 1;
    return { format: "nv12", frame: { width: w, height: h, y: new Uint8Array(m.data, 0, w * h), uv: new Uint8Array(m.data, w * h, 2 * cw * ch), strideY: w, strideUV: 2 * cw } };
  }
  const c = m.channels;
  let hwc: Uint8Array;
  if (m.kind === "u8" && m.layout === "hwc") hwc = new Uint8Array(m.data);
  else {
    const src = m.kind === "f32" ? new Float32Array(m.data) : new Uint8Array(m.data);
    const scale = m.kind === "f32" ? 255 : 1;
    hwc = new Uint8Array(w * h * c);
    const plane = w * h;
    for (let p = 0; p < plane; p++)
      for (let k = 0; k < c; k++) {
        const v = (m.layout === "chw" ? src[k * plane + p]! : src[p * c + k]!) * scale;
        hwc[p * c + k] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
      }
  }
  return { format: c === 4 ? "rgba" : "rgb24", frame: { width: w, height: h, data: hwc, stride: w * c }, hwc };
}

function release(): void {
  if (!counter) return;
  Atomics.sub(counter, IN_FLIGHT, 1);
  Atomics.notify(counter, IN_FLIGHT);
}

self.onmessage = (ev: MessageEvent<StreamMessage>) => {
  const m = ev.data;
  try {
    switch (m.type) {
      case "open":
        options = m.options;
        control = m.control;
        counter = new Int32Array(m.control, 0, 3);
        stats = m.stats ? new ChannelStats(m.stats.downsample, m.stats.quantiles) : null;
        frames = 0;
        failed = false;
        return;
      case "frame": {
        if (failed) return release();
        try {
          const { format, frame, hwc } = toInput(m);
          if (!writer) {
            const { path, ...rest } = options!;
            writer = new VideoWriter(path, { ...rest, width: m.width, height: m.height, inputFormat: format } as VideoWriterOptions);
          }
          writer.write(frame);
          frames++;
          if (stats && hwc) stats.add(hwc, m.width, m.height, m.channels, m.kind === "f32" ? 1 / 255 : 1);
        } finally {
          release();
        }
        return;
      }
      case "finish": {
        writer?.close();
        const fps = options!.fps ?? { num: 30, den: 1 };
        const summary = stats?.summary() ?? [];
        reply({ type: "finished", frames, durationS: (frames * fps.den) / fps.num, stats: summary.length ? summary : null, written: writer !== null });
        writer = null;
        return;
      }
      case "cancel":
        writer?.abort();
        writer = null;
        reply({ type: "cancelled" });
        return;
    }
  } catch (e) {
    failed = true;
    try {
      writer?.abort();
    } catch {}
    writer = null;
    const err = e as Error & { code?: string };
    if (control) writeFailure(control, `${err.name}: ${err.message}`);
    reply({ type: "error", name: err.name, code: err.code, message: err.message });
  }
};
