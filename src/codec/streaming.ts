/**
 * StreamingEncoder: records episodes from several cameras at once, as the robot-learning system this
 * project replaces does. Each stream (camera key) has a Bun Worker that encodes its frames into a file;
 * `feed()` copies the frame once into a slot of shared memory and tells the worker, so the caller's loop is
 * never stalled by an encoder. Each stream's queue is bounded (`queue` frames in flight): when it is full
 * `feed()` drops the frame and counts it (`policy: "drop"`, the default) or waits for a free slot
 * (`"block"`). A stream whose encoder failed makes the next `feed()` to it throw a StreamError carrying the
 * cause.
 *
 * Frames reach a worker as entries of a shared ring it waits on (streaming_protocol.ts), not as messages.
 *
 * Why slots are reused rather than a fresh buffer transferred per frame: a fresh 900 KB ArrayBuffer a frame
 * cost ~1.7 ms of CPU (allocation, page faults, collection) against ~50 us for a copy into memory already
 * mapped, which was most of the recorder's overhead over encoding directly. Workers and their slots outlive
 * an episode (idle workers are unref'd): starting a worker (a JS heap, the native libraries) costs ~130 ms
 * CPU, and the first write into a new slot costs a page fault per few pages (~0.5 ms for 640x480 RGB).
 *
 * Frames: HWC RGB/RGBA Uint8Array, CHW, or Float32Array in [0, 1] ({ data, width, height, channels,
 * layout }), or I420 / NV12 frames. Conversions happen in the worker.
 */
import { mkdirSync, rmSync, existsSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { InvalidArgumentError, StateError, StreamError } from "../core/errors";
import type { I420Frame } from "../core/frame";
import type { Nv12Frame } from "./video_encoder";
import type { ChannelSummary } from "./channel_stats";
import { CMD_FRAME, CMD_YIELD, CONTROL_BYTES, FAILED, IN_FLIGHT, pushEntry, readFailure, ringBytes, type FrameKind, type StreamMessage, type StreamReply } from "./streaming_protocol";

/** A packed camera frame: HWC (default) or CHW, 8-bit or float in [0, 1]. */
export interface CameraFrame {
  data: Uint8Array | Float32Array;
  width: number;
  height: number;
  channels: 3 | 4;
  layout?: "hwc" | "chw";
}
export type FeedFrame = CameraFrame | I420Frame | Nv12Frame;

const Options = z
  .object({
    /** Any VideoEncoder codec ("libx264", "av1", "auto", ...). */
    codec: z.string().min(1).default("libx264"),
    fps: z.object({ num: z.number().int().min(1), den: z.number().int().min(1) }).strict().default({ num: 30, den: 1 }),
    quality: z.object({ crf: z.number().min(0).max(63) }).strict().default({ crf: 23 }),
    preset: z.union([z.string(), z.number()]).optional(),
    /** Frames in flight per stream before feed() drops (or blocks). */
    queue: z.number().int().min(1).max(10_000).default(30),
    policy: z.enum(["drop", "block"]).default("drop"),
    /** MP4 in fragments of N frames (a killed process leaves every completed fragment playable). */
    fragmented: z.union([z.boolean(), z.object({ frames: z.number().int().min(1) }).strict()]).default(false),
    /** Running per-channel statistics on every `downsample`-th pixel (packed frames only). */
    stats: z.union([z.boolean(), z.object({ downsample: z.number().int().min(1).default(4), quantiles: z.array(z.number().min(0).max(1)).default([0.01, 0.5, 0.99]) }).strict()]).default(false),
    /** Longest feed() waits with policy "block" before throwing (ms). */
    blockTimeoutMs: z.number().int().min(1).default(30_000),
  })
  .strict();
export type StreamingEncoderOptions = z.input<typeof Options>;

export interface StreamResult {
  path: string;
  frames: number;
  dropped: number;
  durationS: number;
  stats?: ChannelSummary[];
}

/** A worker and the frame slots it shares with this thread; both kept for the next episode. */
interface Lane {
  worker: Worker;
  /** Shared frame slots, allocated as the queue first gets that deep (replaced when the frame size changes). */
  slots: Uint8Array[];
}

interface Stream {
  key: string;
  path: string;
  lane: Lane;
  worker: Worker;
  control: SharedArrayBuffer;
  counter: Int32Array;
  /** The episode's ring of frame entries, shared with the worker. */
  ring: Int32Array;
  dropped: number;
  /** Frames queued for the worker in this episode. */
  fed: number;
  shape: string | null;
  /** Slots in flight in feed order, and the free ones (indices into lane.slots). */
  inFlight: number[];
  free: number[];
  /** Frames the worker had given back when feed() last looked. */
  released: number;
  error: (StreamReply & { type: "error" }) | null;
  waiters: ((r: StreamReply) => void)[];
}

const KEY = /^[A-Za-z0-9_.-]{1,100}$/;

export class StreamingEncoder implements AsyncDisposable {
  readonly options: z.output<typeof Options>;
  #streams = new Map<string, Stream>();
  /** Workers of finished episodes with their slots, ready for the next one (unref'd, so they do not keep the process alive). */
  #idle: Lane[] = [];
  #dir: string | null = null;
  #closed = false;

  constructor(options: StreamingEncoderOptions = {}) {
    const r = Options.safeParse(options);
    if (!r.success) throw new InvalidArgumentError(`StreamingEncoder: ${r.error.issues.map((i) => `${i.path.join(".") || "(options)"}: ${i.message}`).join("; ")}`);
    this.options = r.data;
    this.#wakeAt = Math.max(1, Math.min(8, Math.floor(r.data.queue / 4)));
  }
  /**
   * Frames waiting before feed() wakes a stream's worker (a quarter of the queue, at most 8); fewer are taken
   * when the worker's wait times out (streaming_worker.ts, 100 ms). Woken for every frame, the recorder cost
   * +9.1 % of CPU per frame over encoding directly (x264, 2 cameras of 640x480 at 30 fps: each worker idles
   * between frames, and waking an idle thread is dear on this VM); woken for several, +0.9 % (same run, 24
   * alternating pairs).
   */
  readonly #wakeAt: number;

  /** Starts an episode: one file per key (`<dir>/<key>.mp4`), created when its first frame arrives. */
  startEpisode(keys: string[], dir: string): void {
    this.#live();
    if (this.#dir !== null) throw new StateError("startEpisode: an episode is open: finishEpisode() or cancelEpisode() first");
    if (!Array.isArray(keys) || keys.length === 0) throw new InvalidArgumentError("startEpisode: give at least one stream key");
    for (const k of keys) if (typeof k !== "string" || !KEY.test(k)) throw new InvalidArgumentError(`startEpisode: key ${JSON.stringify(k)} must be 1-100 of A-Z a-z 0-9 _ . -`);
    if (new Set(keys).size !== keys.length) throw new InvalidArgumentError("startEpisode: keys must be distinct");
    mkdirSync(dir, { recursive: true });
    const o = this.options;
    const stats = o.stats === false ? null : o.stats === true ? { downsample: 4, quantiles: [0.01, 0.5, 0.99] } : o.stats;
    for (const key of keys) {
      const path = join(dir, `${key}.mp4`);
      const lane = this.#idle.pop() ?? { worker: new Worker(new URL("./streaming_worker.ts", import.meta.url)), slots: [] };
      const worker = lane.worker;
      worker.ref();
      const sab = new SharedArrayBuffer(CONTROL_BYTES);
      const ring = new SharedArrayBuffer(ringBytes(o.queue));
      const s: Stream = {
        key, path, lane, worker, control: sab, counter: new Int32Array(sab, 0, 3), ring: new Int32Array(ring), dropped: 0, fed: 0, shape: null,
        inFlight: [], free: lane.slots.map((_, i) => i).reverse(), released: 0, error: null, waiters: [],
      };
      worker.onmessage = (ev: MessageEvent<StreamReply>) => {
        if (ev.data.type === "error") s.error = ev.data;
        const w = s.waiters.shift();
        if (w) w(ev.data);
      };
      worker.onerror = (ev) => {
        s.error = { type: "error", name: "Error", message: ev.message };
        s.waiters.splice(0).forEach((w) => w(s.error!));
      };
      const msg: StreamMessage = {
        type: "open", control: sab, ring, stats,
        options: { path, codec: o.codec as never, fps: o.fps, quality: o.quality, ...(o.preset !== undefined ? { preset: o.preset } : {}), latency: "low", fragmented: o.fragmented } as never,
      };
      worker.postMessage(msg);
      this.#streams.set(key, s);
    }
    this.#dir = dir;
  }

  /**
   * Queues one frame for a stream; returns false when it was dropped (queue full, policy "drop"). Costs one
   * copy of the frame. Throws StreamError when the stream's encoder has failed.
   */
  feed(key: string, frame: FeedFrame): boolean {
    this.#live();
    if (this.#dir === null) throw new StateError("feed: no episode is open (startEpisode first)");
    const s = this.#streams.get(key);
    if (!s) throw new InvalidArgumentError(`feed: unknown stream key ${JSON.stringify(key)} (this episode has ${[...this.#streams.keys()].join(", ")})`);
    this.#checkFailed(s);
    const { kind, width, height, channels, layout, byteLength, copyTo } = describe(frame);
    const shape = `${kind} ${width}x${height}x${channels} ${layout}`;
    if (s.shape !== null && s.shape !== shape) throw new InvalidArgumentError(`feed: stream ${key} takes ${s.shape} frames in this episode (got ${shape})`);
    const full = () => Atomics.load(s.counter, IN_FLIGHT) >= this.options.queue;
    if (full()) {
      if (this.options.policy === "drop") {
        s.dropped++;
        return false;
      }
      const deadline = performance.now() + this.options.blockTimeoutMs;
      while (full()) {
        const left = deadline - performance.now();
        if (left <= 0) throw new StreamError(key, `stream ${key}: no free queue slot within ${this.options.blockTimeoutMs} ms`);
        Atomics.wait(s.counter, IN_FLIGHT, Atomics.load(s.counter, IN_FLIGHT), Math.min(left, 50));
        this.#checkFailed(s);
      }
    }
    // Slots of frames the worker has finished with (it finishes them in order) are free again.
    const done = s.fed - Atomics.load(s.counter, IN_FLIGHT);
    for (; s.released < done; s.released++) s.free.push(s.inFlight.shift()!);
    const slots = s.lane.slots;
    let slot = s.free.pop();
    if (slot === undefined || slots[slot]!.byteLength !== byteLength) {
      // A new slot (the queue is deeper than it has been, or frames of another size than in an earlier
      // episode): its memory goes to the worker as a message, which the ring's YIELD lets it take in order.
      const buffer = new SharedArrayBuffer(byteLength);
      if (slot === undefined) slot = slots.length;
      slots[slot] = new Uint8Array(buffer);
      this.#send(s, { type: "slot", slot, buffer });
    }
    copyTo(slots[slot]!); // the one copy
    s.shape = shape;
    s.inFlight.push(slot);
    Atomics.add(s.counter, IN_FLIGHT, 1);
    pushEntry(s.ring, CMD_FRAME, { kind, width, height, channels, layout, slot }, this.#wakeAt);
    s.fed++;
    return true;
  }

  /** Frames dropped so far in this episode, per stream. */
  dropped(): Record<string, number> {
    return Object.fromEntries([...this.#streams].map(([k, s]) => [k, s.dropped]));
  }

  /** Waits for every queued frame, closes the files and returns each stream's result. */
  async finishEpisode(): Promise<Record<string, StreamResult>> {
    this.#live();
    if (this.#dir === null) throw new StateError("finishEpisode: no episode is open");
    const out: Record<string, StreamResult> = {};
    const failures: string[] = [];
    await Promise.all(
      [...this.#streams.values()].map(async (s) => {
        const r = await this.#ask(s, { type: "finish" });
        if (r.type === "finished") {
          out[s.key] = { path: s.path, frames: r.frames, dropped: s.dropped, durationS: r.durationS, ...(r.stats ? { stats: r.stats } : {}) };
          if (!r.written) out[s.key]!.path = "";
        } else if (r.type === "error") failures.push(`${s.key}: ${r.message}`);
      }),
    );
    this.#endEpisode();
    if (failures.length) throw new StreamError(failures[0]!.split(":")[0]!, `finishEpisode: ${failures.length} stream(s) failed: ${failures.join("; ")}`);
    return out;
  }

  /** Abandons the episode: partial files are removed. */
  async cancelEpisode(): Promise<void> {
    this.#live();
    if (this.#dir === null) return;
    await Promise.all([...this.#streams.values()].map((s) => this.#ask(s, { type: "cancel" })));
    for (const s of this.#streams.values()) for (const p of [s.path, `${s.path}.part`]) if (existsSync(p)) rmSync(p, { force: true });
    this.#endEpisode();
  }

  /** Cancels an open episode and stops the workers. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#dir !== null) await this.cancelEpisode();
    this.#closed = true;
    for (const l of this.#idle.splice(0)) l.worker.terminate();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Throws when the stream's encoder failed: read from the shared block, so a synchronous loop sees it too. */
  #checkFailed(s: Stream): void {
    // the flag first: readFailure allocates, and this runs on every feed()
    const msg = s.error?.message ?? (Atomics.load(s.counter, FAILED) === 0 ? null : readFailure(s.control));
    if (msg !== null) throw new StreamError(s.key, `stream ${s.key}: the encoder failed: ${msg}`, { cause: s.error ?? new Error(msg) });
  }

  #ask(s: Stream, m: StreamMessage): Promise<StreamReply> {
    return new Promise((resolve) => {
      if (s.error && m.type === "finish") return resolve(s.error);
      s.waiters.push(resolve);
      this.#send(s, m);
    });
  }

  /** A message to a worker in an episode: a YIELD entry first, so that it leaves the ring for it, in order. */
  #send(s: Stream, m: StreamMessage): void {
    pushEntry(s.ring, CMD_YIELD);
    s.worker.postMessage(m);
  }

  /** Workers whose stream ended cleanly wait for the next episode; a failed one is stopped. */
  #endEpisode(): void {
    for (const s of this.#streams.values()) {
      s.worker.onmessage = null;
      s.worker.onerror = null;
      if (s.error !== null || readFailure(s.control) !== null) s.worker.terminate();
      else {
        s.worker.unref();
        this.#idle.push(s.lane);
      }
    }
    this.#streams.clear();
    this.#dir = null;
  }

  #live(): void {
    if (this.#closed) throw new StateError("StreamingEncoder is closed");
  }
}

interface Described {
  kind: FrameKind;
  width: number;
  height: number;
  channels: number;
  layout: "hwc" | "chw";
  /** Bytes of the tightly packed frame. */
  byteLength: number;
  /** Makes the one copy: the frame, tightly packed, into `dst` (byteLength bytes). */
  copyTo: (dst: Uint8Array) => void;
}

/** What a frame is, its packed size, and how to copy it into a slot. */
function describe(f: FeedFrame): Described {
  const bad = (m: string): never => {
    throw new InvalidArgumentError(`feed: ${m}`);
  };
  if (!f || typeof f !== "object") bad("a frame must be an object");
  const { width, height } = f as { width: number; height: number };
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 2 || height < 2) bad(`width and height must be integers >= 2 (got ${width}x${height})`);
  if ("data" in f) {
    const c = f.channels;
    if (c !== 3 && c !== 4) bad(`channels must be 3 (RGB) or 4 (RGBA) (got ${String(c)})`);
    const layout = f.layout ?? "hwc";
    if (layout !== "hwc" && layout !== "chw") bad(`layout must be "hwc" or "chw" (got ${String(layout)})`);
    const kind = f.data instanceof Uint8Array ? "u8" : f.data instanceof Float32Array ? "f32" : bad("data must be a Uint8Array or a Float32Array in [0, 1]");
    const n = width * height * c;
    if (f.data.length !== n) bad(`data has ${f.data.length} values; ${width}x${height}x${c} needs ${n}`);
    const src = new Uint8Array(f.data.buffer, f.data.byteOffset, f.data.byteLength);
    return { kind, width, height, channels: c, layout, byteLength: src.byteLength, copyTo: (dst) => dst.set(src) };
  }
  const cw = (width + 1) >> 1, ch = (height + 1) >> 1;
  if ("uv" in f) return { kind: "nv12", width, height, channels: 3, layout: "hwc", ...planes([[f.y, f.strideY, width, height], [f.uv, f.strideUV, 2 * cw, ch]]) };
  if ("y" in f && "u" in f) {
    if ((f.bitDepth ?? 8) !== 8) bad("I420 frames for streaming must be 8-bit");
    return {
      kind: "i420", width, height, channels: 3, layout: "hwc",
      ...planes([[f.y as Uint8Array, f.strideY, width, height], [f.u as Uint8Array, f.strideU, cw, ch], [f.v as Uint8Array, f.strideV, cw, ch]]),
    };
  }
  return bad("expected { data, width, height, channels }, an I420 frame or an NV12 frame");
}

/** Strided planes checked against their data; copied tightly, one after the other. */
function planes(list: [Uint8Array, number, number, number][]): Pick<Described, "byteLength" | "copyTo"> {
  let total = 0;
  for (const [data, stride, w, h] of list) {
    if (!(data instanceof Uint8Array) || !Number.isInteger(stride) || stride < w || data.length < stride * (h - 1) + w)
      throw new InvalidArgumentError(`feed: a ${w}x${h} plane with stride ${stride} does not fit its data`);
    total += w * h;
  }
  return {
    byteLength: total,
    copyTo: (out) => {
      let o = 0;
      for (const [data, stride, w, h] of list) {
        if (stride === w) out.set(data.subarray(0, w * h), o);
        else for (let r = 0; r < h; r++) out.set(data.subarray(r * stride, r * stride + w), o + r * w);
        o += w * h;
      }
    },
  };
}
