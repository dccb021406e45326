/** Messages between StreamingEncoder (main thread) and its per-stream workers (streaming_worker.ts). */
import type { VideoWriterOptions } from "../io/writer";
import type { ChannelSummary } from "./channel_stats";

/**
 * The shared control block of a stream (a SharedArrayBuffer), readable by the caller's thread without waiting
 * for messages (a fully synchronous loop never yields to deliver them): Int32 0 = frames in flight, 1 = the
 * encoder failed, 2 = the failure message's byte length; the message's UTF-8 bytes from byte 12.
 */
export const CONTROL_BYTES = 12 + 1024;
export const IN_FLIGHT = 0, FAILED = 1, MESSAGE_LENGTH = 2, MESSAGE_OFFSET = 12;

export function writeFailure(control: SharedArrayBuffer, message: string): void {
  const bytes = new TextEncoder().encode(message).subarray(0, CONTROL_BYTES - MESSAGE_OFFSET);
  new Uint8Array(control, MESSAGE_OFFSET, bytes.length).set(bytes);
  const i32 = new Int32Array(control, 0, 3);
  Atomics.store(i32, MESSAGE_LENGTH, bytes.length);
  Atomics.store(i32, FAILED, 1);
  Atomics.notify(i32, IN_FLIGHT);
}

export function readFailure(control: SharedArrayBuffer): string | null {
  const i32 = new Int32Array(control, 0, 3);
  if (Atomics.load(i32, FAILED) === 0) return null;
  const n = Atomics.load(i32, MESSAGE_LENGTH);
  return new TextDecoder().decode(new Uint8Array(control, MESSAGE_OFFSET, n).slice());
}

export const FRAME_KINDS = ["u8", "f32", "i420", "nv12"] as const;
export type FrameKind = (typeof FRAME_KINDS)[number];

/** One frame as the worker reads it from the ring. */
export interface FrameEntry {
  kind: FrameKind;
  width: number;
  height: number;
  /** 3 or 4 for u8/f32 frames. */
  channels: number;
  layout: "hwc" | "chw";
  /** The shared slot holding the frame (tightly packed); the worker gives it back by decrementing IN_FLIGHT. */
  slot: number;
}

/**
 * The frames of an episode reach the worker through a ring of entries in shared memory, not as messages: the
 * worker waits on the ring with Atomics.wait, so handing over a frame costs a store (and now and then a futex
 * wake) instead of a structured clone and an event-loop turn on each side (measured with workers that do
 * nothing: 0.03 against 0.14 ms of CPU a frame, 2-3 % of a 640x480 x264 frame). The worker is woken for
 * several frames at a time (pushEntry's `wakeAt`), not for each. Anything that is not a frame (a new slot's memory,
 * finish, cancel) stays a message; the ring then holds a YIELD entry at that point, which sends the worker back
 * to its event loop to take the message, so that messages and frames keep their order.
 *
 * Int32 layout: [WRITE] entries written, [READ] entries the worker has taken; entry i at
 * RING_HEADER + (i % capacity) * ENTRY_INTS: command, slot, kind, width, height, channels, layout.
 */
export const WRITE = 0, READ = 1, RING_HEADER = 4, ENTRY_INTS = 8;
export const CMD_FRAME = 1, CMD_YIELD = 2;
/** Frames in the ring are at most the queue's depth, and a YIELD waits for its message: twice is plenty. */
export const ringCapacity = (queue: number) => 2 * queue + 4;
export const ringBytes = (queue: number) => 4 * (RING_HEADER + ringCapacity(queue) * ENTRY_INTS);

/**
 * Appends one entry (the caller's thread). The worker is woken only when `wakeAt` entries wait for it (a YIELD
 * always wakes it); otherwise it finds them when its wait times out or the next wake comes.
 */
export function pushEntry(ring: Int32Array, cmd: number, f?: FrameEntry, wakeAt = 1): void {
  const cap = (ring.length - RING_HEADER) / ENTRY_INTS;
  const w = Atomics.load(ring, WRITE);
  const e = RING_HEADER + (w % cap) * ENTRY_INTS;
  ring[e] = cmd;
  if (f) {
    ring[e + 1] = f.slot;
    ring[e + 2] = FRAME_KINDS.indexOf(f.kind);
    ring[e + 3] = f.width;
    ring[e + 4] = f.height;
    ring[e + 5] = f.channels;
    ring[e + 6] = f.layout === "chw" ? 1 : 0;
  }
  Atomics.store(ring, WRITE, w + 1); // publishes the entry (sequentially consistent)
  if (cmd === CMD_YIELD || w + 1 - Atomics.load(ring, READ) >= wakeAt) Atomics.notify(ring, WRITE);
}

/** Entry `i` as the worker reads it: its command and, for CMD_FRAME, the frame. */
export function readEntry(ring: Int32Array, i: number): { cmd: number; frame: FrameEntry } {
  const cap = (ring.length - RING_HEADER) / ENTRY_INTS;
  const e = RING_HEADER + (i % cap) * ENTRY_INTS;
  return {
    cmd: ring[e]!,
    frame: { slot: ring[e + 1]!, kind: FRAME_KINDS[ring[e + 2]!]!, width: ring[e + 3]!, height: ring[e + 4]!, channels: ring[e + 5]!, layout: ring[e + 6] === 1 ? "chw" : "hwc" },
  };
}

export type StreamMessage =
  | {
      type: "open";
      options: Omit<VideoWriterOptions, "width" | "height" | "inputFormat"> & { path: string };
      /** The stream's control block (CONTROL_BYTES): frames in flight (the bounded queue), failure. */
      control: SharedArrayBuffer;
      /** The episode's ring of frame entries (ringBytes(queue)). */
      ring: SharedArrayBuffer;
      stats: { downsample: number; quantiles: number[] } | null;
    }
  /** A slot's memory, before the first frame that uses it (kept across episodes, as the main thread keeps it). */
  | { type: "slot"; slot: number; buffer: SharedArrayBuffer }
  | { type: "finish" }
  | { type: "cancel" };

export type StreamReply =
  | { type: "finished"; frames: number; durationS: number; stats: ChannelSummary[] | null; written: boolean }
  | { type: "cancelled" }
  | { type: "error"; name: string; code?: string; message: string };
