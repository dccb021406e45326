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

export type FrameKind = "u8" | "f32" | "i420" | "nv12";

export interface FrameMessage {
  type: "frame";
  kind: FrameKind;
  width: number;
  height: number;
  /** 3 or 4 for u8/f32 frames. */
  channels: number;
  layout: "hwc" | "chw";
  /** The shared slot holding the frame (tightly packed); the worker gives it back by decrementing IN_FLIGHT. */
  slot: number;
  /** The slot's memory, sent with the first frame that uses it. */
  buffer?: SharedArrayBuffer;
}

export type StreamMessage =
  | {
      type: "open";
      options: Omit<VideoWriterOptions, "width" | "height" | "inputFormat"> & { path: string };
      /** The stream's control block (CONTROL_BYTES): frames in flight (the bounded queue), failure. */
      control: SharedArrayBuffer;
      stats: { downsample: number; quantiles: number[] } | null;
    }
  | FrameMessage
  | { type: "finish" }
  | { type: "cancel" };

export type StreamReply =
  | { type: "finished"; frames: number; durationS: number; stats: ChannelSummary[] | null; written: boolean }
  | { type: "cancelled" }
  | { type: "error"; name: string; code?: string; message: string };
