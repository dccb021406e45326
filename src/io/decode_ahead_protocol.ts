/** The shared layout between VideoReader.frames({ ahead }) and its decoding Worker (decode_ahead_worker.ts). */
export const WRITTEN = 0, RELEASED = 1, FAILED = 2, MESSAGE_LENGTH = 3, MESSAGE_OFFSET = 16;
export const CONTROL_BYTES = MESSAGE_OFFSET + 1024;

export interface AheadJob {
  path: string;
  options: Record<string, unknown>;
  start: number;
  end: number;
  slots: number;
  frameBytes: number;
  ring: SharedArrayBuffer;
  control: SharedArrayBuffer;
}

/** What a decode-ahead iteration did: frames decoded and delivered, the deepest the ring got, time waited. */
export interface AheadStats {
  decoded: number;
  delivered: number;
  maxDepth: number;
  /** Milliseconds the consumer waited for a frame that was not decoded yet. */
  waitedMs: number;
}
