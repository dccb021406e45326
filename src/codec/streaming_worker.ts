/**
 * One StreamingEncoder stream: a Bun Worker that turns the frames the main thread queues into a file
 * (VideoWriter), computes running per-channel statistics on a downsampled copy, and gives each frame's slot
 * in the bounded queue back (a shared counter) once it is written. Frames arrive in shared slots the main
 * thread reuses, named by entries of a shared ring (streaming_protocol.ts) that this worker waits on with
 * Atomics.wait during an episode; it returns to its event loop at a YIELD entry to take the message behind it.
 * The encoder copies (or converts) a frame before write() returns, so the slot is free once the counter says
 * so. Conversions (CHW, float) happen here, off the caller's thread, so that feed() costs one copy. A worker
 * serves one stream per episode and is reused, its slots with it.
 */
import { VideoWriter, type VideoWriterOptions } from "../io/writer";
import type { InputFormat } from "./video_encoder";
import { allocI420, type I420Frame } from "../core/frame";
import { ChannelStats } from "./channel_stats";
import { CMD_YIELD, IN_FLIGHT, READ, readEntry, WRITE, writeFailure, type FrameEntry, type StreamMessage, type StreamReply } from "./streaming_protocol";

declare const self: Worker;

let writer: VideoWriter | null = null;
let options: (Omit<VideoWriterOptions, "width" | "height" | "inputFormat"> & { path: string }) | null = null;
let control: SharedArrayBuffer | null = null;
let counter: Int32Array | null = null;
let ring: Int32Array | null = null;
/** Ring entries taken in this episode. */
let taken = 0;
let stats: ChannelStats | null = null;
let frames = 0;
let failed = false;
/** The frame slots shared with the main thread, by index (kept across episodes, as the main thread keeps them). */
let slots: SharedArrayBuffer[] = [];
/** Conversion outputs, reused frame after frame (a fresh buffer a frame costs more CPU than the conversion). */
let scratchHwc: Uint8Array | null = null;
let scratchI420: I420Frame | null = null;

const reply = (m: StreamReply) => postMessage(m);

/** The frame as the encoder takes it: packed RGB/RGBA (HWC uint8) or planar/semi-planar YUV. */
function toInput(m: FrameEntry, data: SharedArrayBuffer): { format: InputFormat; frame: Parameters<VideoWriter["write"]>[0]; hwc?: Uint8Array } {
  const { width: w, height: h } = m;
  if (m.kind === "i420") {
    const y = new Uint8Array(data, 0, w * h), cw = (w + 1) >> 1, ch = (h + 1) >> 1;
    return { format: "yuv420p", frame: { width: w, height: h, bitDepth: 8, y, u: new Uint8Array(data, w * h, cw * ch), v: new Uint8Array(data, w * h + cw * ch, cw * ch), strideY: w, strideU: cw, strideV: cw } };
  }
  if (m.kind === "nv12") {
    const cw = (w + 1) >> 1, ch = (h + 1) >> 1;
    return { format: "nv12", frame: { width: w, height: h, y: new Uint8Array(data, 0, w * h), uv: new Uint8Array(data, w * h, 2 * cw * ch), strideY: w, strideUV: 2 * cw } };
  }
  const c = m.channels;
  let hwc: Uint8Array;
  if (m.kind === "u8" && m.layout === "hwc") hwc = new Uint8Array(data);
  else {
    const src = m.kind === "f32" ? new Float32Array(data) : new Uint8Array(data);
    const scale = m.kind === "f32" ? 255 : 1;
    if (scratchHwc?.length !== w * h * c) scratchHwc = new Uint8Array(w * h * c);
    hwc = scratchHwc;
    const plane = w * h;
    for (let p = 0; p < plane; p++)
      for (let k = 0; k < c; k++) {
        const v = (m.layout === "chw" ? src[k * plane + p]! : src[p * c + k]!) * scale;
        hwc[p * c + k] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
      }
  }
  // SVT-AV1 takes YUV only: convert here (BT.601 limited range, as libswscale does by default).
  if (options?.codec === "av1") return { format: "yuv420p", frame: rgbToI420(hwc, w, h, c), hwc };
  return { format: c === 4 ? "rgba" : "rgb24", frame: { width: w, height: h, data: hwc, stride: w * c }, hwc };
}

/** Packed RGB(A) to I420, BT.601 limited range; chroma from the 2x2 average. */
function rgbToI420(rgb: Uint8Array, w: number, h: number, c: number): I420Frame {
  if (scratchI420?.width !== w || scratchI420.height !== h) scratchI420 = allocI420(w, h);
  const f = scratchI420;
  const y = f.y as Uint8Array, u = f.u as Uint8Array, v = f.v as Uint8Array;
  for (let p = 0, q = 0; p < w * h; p++, q += c)
    y[p] = (66 * rgb[q]! + 129 * rgb[q + 1]! + 25 * rgb[q + 2]! + 128 + 4096) >> 8;
  const cw = (w + 1) >> 1, ch = (h + 1) >> 1;
  for (let j = 0; j < ch; j++)
    for (let i = 0; i < cw; i++) {
      let r = 0, g = 0, b = 0, n = 0;
      for (let dy = 0; dy < 2; dy++)
        for (let dx = 0; dx < 2; dx++) {
          const yy = 2 * j + dy, xx = 2 * i + dx;
          if (yy >= h || xx >= w) continue;
          const q = (yy * w + xx) * c;
          r += rgb[q]!;
          g += rgb[q + 1]!;
          b += rgb[q + 2]!;
          n++;
        }
      r /= n;
      g /= n;
      b /= n;
      u[j * cw + i] = Math.round((-38 * r - 74 * g + 112 * b) / 256 + 128);
      v[j * cw + i] = Math.round((112 * r - 94 * g - 18 * b) / 256 + 128);
    }
  return f;
}

function release(): void {
  if (!counter) return;
  Atomics.sub(counter, IN_FLIGHT, 1);
  Atomics.notify(counter, IN_FLIGHT);
}

/** Encodes one frame from its slot (or only gives the slot back, after a failure). */
function encodeFrame(m: FrameEntry): void {
  if (failed) return release();
  try {
    const { format, frame, hwc } = toInput(m, slots[m.slot]!);
    if (!writer) {
      const { path, ...rest } = options!;
      writer = new VideoWriter(path, { ...rest, width: m.width, height: m.height, inputFormat: format } as VideoWriterOptions);
    }
    writer.write(frame);
    frames++;
    if (stats && hwc) stats.add(hwc, m.width, m.height, m.channels, m.kind === "f32" ? 1 / 255 : 1);
  } catch (e) {
    fail(e);
  } finally {
    release();
  }
}

/**
 * Takes the ring's entries until a YIELD (a message follows it). feed() wakes the worker only once several
 * frames wait (StreamingEncoder's wakeAt); the wait's timeout bounds how long fewer wait (100 ms, 3 frames at
 * 30 fps) and lets terminate() take effect while the worker waits.
 */
function drain(): void {
  const r = ring!;
  for (;;) {
    const written = Atomics.load(r, WRITE);
    if (taken === written) {
      Atomics.wait(r, WRITE, written, 100);
      continue;
    }
    const { cmd, frame } = readEntry(r, taken);
    taken++;
    Atomics.store(r, READ, taken);
    if (cmd === CMD_YIELD) return;
    encodeFrame(frame);
  }
}

/** The stream has failed: the partial file is dropped, the main thread told (shared block and a message). */
function fail(e: unknown): void {
  failed = true;
  try {
    writer?.abort();
  } catch {}
  writer = null;
  const err = e as Error & { code?: string };
  if (control) writeFailure(control, `${err.name}: ${err.message}`);
  reply({ type: "error", name: err.name, code: err.code, message: err.message });
}

self.onmessage = (ev: MessageEvent<StreamMessage>) => {
  const m = ev.data;
  try {
    switch (m.type) {
      case "open":
        options = m.options;
        control = m.control;
        counter = new Int32Array(m.control, 0, 3);
        ring = new Int32Array(m.ring);
        taken = 0;
        stats = m.stats ? new ChannelStats(m.stats.downsample, m.stats.quantiles) : null;
        frames = 0;
        failed = false;
        scratchHwc = null;
        scratchI420 = null;
        writer = null;
        return drain();
      case "slot":
        slots[m.slot] = m.buffer;
        return drain();
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
    fail(e);
  }
};
