/**
 * Episodes written to files (what the replaced Python system's `save_bitstream_to_file` did): each episode's
 * bitstream goes to a muxer as its packets come out, and the file is complete (playable) when the episode
 * ends, at the next `reset()`, at `recordTo(null)` or at `close()`. IVF for now; MP4/MKV/WebM come with the
 * libavformat muxer.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, extname, resolve } from "node:path";
import { FileError, InvalidArgumentError } from "../core/errors";
import { IvfWriter } from "../io/ivf";

/** What the recorder needs of a muxer (IvfWriter has it). */
interface EpisodeMuxer {
  write(data: Uint8Array, pts: number): void;
  close(): void;
}

/** Checks a recording path (pattern): a non-empty string naming an .ivf file in an existing directory. */
export function validateRecordPath(pattern: unknown, what = "recordTo"): string {
  if (typeof pattern !== "string" || pattern.length === 0) throw new InvalidArgumentError(`${what}: the path must be a non-empty string (or null to stop)`);
  const ext = extname(pattern).toLowerCase();
  if (ext !== ".ivf")
    throw new InvalidArgumentError(`${what}: ${pattern}: episodes are written as IVF (name the file .ivf); MP4/MKV/WebM come with the libavformat muxer`);
  const dir = dirname(resolve(pattern));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new FileError(`${what}: ${pattern}: the directory ${dir} does not exist`);
  return pattern;
}

export class EpisodeRecorder {
  private pattern: string | null = null;
  private muxer: EpisodeMuxer | null = null;
  private current: string | null = null;

  /** `{episode}` in the pattern becomes the episode's number. null stops recording. */
  setPattern(pattern: string | null): void {
    this.pattern = pattern === null ? null : validateRecordPath(pattern);
  }

  get recording(): boolean {
    return this.pattern !== null;
  }

  /** The file being written now, or null. */
  get path(): string | null {
    return this.current;
  }

  /** Opens the file for this episode (no-op when not recording); the previous one is completed first. */
  begin(episode: number, width: number, height: number, fps: { num: number; den: number }): string | null {
    this.end();
    if (this.pattern === null) return null;
    const path = this.pattern.replaceAll("{episode}", String(episode));
    this.muxer = new IvfWriter(path, { width, height, fps });
    this.current = path;
    return path;
  }

  /** Appends one packet; pts in frames from the episode's start (IVF's time base is 1/fps). */
  write(data: Uint8Array, pts: number): void {
    if (!this.muxer) return;
    try {
      this.muxer.write(data, pts);
    } catch (e) {
      try {
        this.end(); // what was written stays a valid, shorter file
      } catch {
        // the write's error is the one to report
      }
      throw e;
    }
  }

  /** Completes the file in progress (idempotent). */
  end(): void {
    const m = this.muxer;
    this.muxer = null;
    this.current = null;
    m?.close();
  }
}
