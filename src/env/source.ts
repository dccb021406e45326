/**
 * Where an Env's frames come from, and the cache that makes each source frame decode (and be analysed)
 * once rather than on every step: the Python seed re-seeked the source from frame 0 each step.
 */
import { statSync } from "node:fs";
import type { I420Frame } from "../core/frame";
import { allocI420 } from "../core/frame";
import { InvalidArgumentError } from "../core/errors";
import { VideoReader, type ReaderOptions } from "../io/reader";
import { openSynth, type SynthSpec } from "./synth_source";

export interface FrameSource {
  readonly width: number;
  readonly height: number;
  readonly frameCount: number;
  readonly fps: { num: number; den: number };
  /** Identifies the content (for the baseline cache): same key, same frames. */
  readonly key: string;
  /** Decodes frame i into `into` (a tight 8-bit I420 frame of this size). */
  read(i: number, into: I420Frame): void;
  close(): void;
}

export type SourceSpec = string | ({ path: string } & ReaderOptions) | VideoReader | { synth: SynthSpec } | undefined;

let readerIds = 0;
const readerKeys = new WeakMap<VideoReader, string>();

function copyFrame(src: I420Frame, dst: I420Frame): void {
  const planes = [
    [src.y, src.strideY, dst.y, dst.strideY, src.width, src.height],
    [src.u, src.strideU, dst.u, dst.strideU, (src.width + 1) >> 1, (src.height + 1) >> 1],
    [src.v, src.strideV, dst.v, dst.strideV, (src.width + 1) >> 1, (src.height + 1) >> 1],
  ] as const;
  for (const [s, ss, d, ds, w, h] of planes) {
    if (ss === w && ds === w) d.set(s.subarray(0, w * h));
    else for (let r = 0; r < h; r++) d.set(s.subarray(r * ss, r * ss + w), r * ds);
  }
}

function readerSource(reader: VideoReader, owned: boolean, key: string): FrameSource {
  const m = reader.metadata;
  if (m.outputBitDepth !== 8 || m.format !== "yuv420p")
    throw new InvalidArgumentError(
      `the Env encodes 8-bit I420; open the VideoReader with { bitDepth: 8 } (and format "yuv420p"), this one gives ${m.outputBitDepth}-bit ${m.format}`,
    );
  // Decode into a reader-shaped scratch frame, then copy into our tight cache frame (strides may differ).
  let scratch: I420Frame | null = null;
  return {
    width: m.width,
    height: m.height,
    frameCount: m.frameCount,
    fps: { num: m.frameRate.num, den: m.frameRate.den },
    key,
    read(i, into) {
      scratch ??= reader.allocFrame();
      reader.frame(i, scratch as never);
      copyFrame(scratch, into);
    },
    close() {
      if (owned) reader.close();
    },
  };
}

/** Opens the source an Env was given. A VideoReader passed in stays the caller's (not closed by the Env). */
export function openSource(spec: SourceSpec): FrameSource {
  if (spec === undefined) return openSynth({});
  if (spec instanceof VideoReader) {
    let key = readerKeys.get(spec);
    if (!key) {
      key = `reader#${++readerIds}:${spec.metadata.path}`;
      readerKeys.set(spec, key);
    }
    return readerSource(spec, false, key);
  }
  if (typeof spec === "string") spec = { path: spec };
  if ("synth" in spec) return openSynth(spec.synth);
  const { path, ...opts } = spec;
  const reader = new VideoReader(path, { bitDepth: 8, ...opts, format: "yuv420p" });
  try {
    // The file's identity, not its path: a file rewritten at the same path must not reuse the old one's
    // baseline (the reader itself refuses to read a file that changes while it is open).
    const st = statSync(path, { bigint: true });
    const id = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
    return readerSource(reader, true, `file:${id}:${JSON.stringify(spec)}`);
  } catch (e) {
    reader.close();
    throw e;
  }
}

/**
 * Keeps decoded frames by source index, up to `capacity` frames (at least 4). When full, frames outside
 * the current window go first, then the oldest. A window that fits is decoded once for all its episodes.
 */
export class FrameCache {
  private frames = new Map<number, I420Frame>();
  private lo = 0;
  private hi = 0;
  readonly capacity: number;

  constructor(
    private source: FrameSource,
    maxBytes: number,
  ) {
    const frameBytes = source.width * source.height * 1.5;
    this.capacity = Math.max(4, Math.floor(maxBytes / frameBytes));
  }

  /** The window episodes are now reading (frames outside it are evicted first). */
  setWindow(start: number, end: number): void {
    this.lo = start;
    this.hi = end;
  }

  get(i: number): I420Frame {
    const hit = this.frames.get(i);
    if (hit) return hit;
    let f: I420Frame | undefined;
    if (this.frames.size >= this.capacity) {
      let victim = -1;
      for (const k of this.frames.keys()) {
        if (k < this.lo || k >= this.hi) {
          victim = k;
          break;
        }
      }
      if (victim < 0) {
        // Everything cached is in the window: drop the one furthest behind i (episodes move forward).
        for (const k of this.frames.keys()) if (k !== i - 1 && (victim < 0 || k < victim)) victim = k;
      }
      f = this.frames.get(victim)!;
      this.frames.delete(victim);
    }
    f ??= allocI420(this.source.width, this.source.height);
    this.source.read(i, f);
    this.frames.set(i, f);
    return f;
  }

  get size(): number {
    return this.frames.size;
  }

  clear(): void {
    this.frames.clear();
  }
}
