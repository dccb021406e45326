/**
 * Episodes written to files (what the replaced Python system's `save_bitstream_to_file` did): each episode's
 * bitstream goes to a muxer as its packets come out, and the file is complete (playable) when the episode
 * ends, at the next `reset()`, at `recordTo(null)` or at `close()`. The container follows the extension: `.ivf`
 * through IvfMuxer, `.mp4`/`.mkv`/`.webm` through libavformat (LavfMuxer: written to "<path>.part" and renamed
 * when the episode ends, so a file at the path is always complete; an episode that ended before its first
 * step leaves no MP4/MKV/WebM file, as such a file could not be played, but a header-only IVF).
 */
import { existsSync, statSync } from "node:fs";
import { dirname, extname, resolve } from "node:path";
import { FileError, InvalidArgumentError } from "../core/errors";
import type { Packet, VideoStreamInfo } from "../codec/packet";
import { IvfMuxer } from "../io/ivf";
import type { Muxer } from "../io/muxer";
import { LavfMuxer } from "../io/writer";

/** Recording containers by extension: IVF (our own writer) or a libavformat muxer. */
const CONTAINERS: Record<string, "ivf" | "lavf"> = { ".ivf": "ivf", ".mp4": "lavf", ".mkv": "lavf", ".webm": "lavf" };

/** Checks a recording path (pattern): a non-empty string naming an .ivf/.mp4/.mkv/.webm file in an existing directory. */
export function validateRecordPath(pattern: unknown, what = "recordTo"): string {
  if (typeof pattern !== "string" || pattern.length === 0) throw new InvalidArgumentError(`${what}: the path must be a non-empty string (or null to stop)`);
  const ext = extname(pattern).toLowerCase();
  if (!(ext in CONTAINERS))
    throw new InvalidArgumentError(`${what}: ${pattern}: name the file .ivf, .mp4, .mkv or .webm (the extension chooses the container)`);
  const dir = dirname(resolve(pattern));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new FileError(`${what}: ${pattern}: the directory ${dir} does not exist`);
  return pattern;
}

export class EpisodeRecorder {
  private pattern: string | null = null;
  private muxer: Muxer | null = null;
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

  /** Opens the file for this episode's stream (no-op when not recording); the previous one is completed first. */
  begin(episode: number, stream: VideoStreamInfo): string | null {
    this.end();
    if (this.pattern === null) return null;
    const path = this.pattern.replaceAll("{episode}", String(episode));
    const muxer: Muxer = CONTAINERS[extname(path).toLowerCase()] === "ivf" ? new IvfMuxer(path) : new LavfMuxer(path);
    try {
      muxer.addVideo(stream);
    } catch (e) {
      muxer.close();
      throw e;
    }
    this.muxer = muxer;
    this.current = path;
    return path;
  }

  /** Appends one packet of the episode's stream. */
  write(packet: Packet): void {
    if (!this.muxer) return;
    try {
      this.muxer.write(packet);
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
    // libavformat writes no file without a packet (its header needs the sequence header): drop it instead.
    if (m instanceof LavfMuxer && m.packets === 0) m.abort();
    else m?.close();
  }
}
