/**
 * encodeImages: a directory, a printf pattern ("frames/img_%04d.png") or a glob ("shots/*.jpg") of PNG/JPEG
 * frames to one video, in frame-number order. Images are decoded by libavformat/libavcodec (VideoReader) as
 * RGB24 and converted by the encoder (BT.601 limited range for SD unless colour options say otherwise).
 */
import { readdirSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { FileError, InvalidArgumentError } from "../core/errors";
import { VideoReader } from "./reader";
import { VideoWriter, type VideoWriterOptions } from "./writer";

const IMAGE = /\.(png|jpe?g)$/i;

/** The frame number of a file name: its last run of digits (-1 when it has none). */
function frameNumber(name: string): number {
  const m = name.match(/(\d+)(?!.*\d)/);
  return m ? Number(m[1]) : -1;
}

/** The image files `patternOrDir` names, sorted by frame number (then name). */
export function listImages(patternOrDir: string): string[] {
  if (typeof patternOrDir !== "string" || !patternOrDir) throw new InvalidArgumentError("encodeImages: give a directory, a %d pattern or a glob");
  let dir: string, accept: (name: string) => boolean;
  let isDir = false;
  try {
    isDir = statSync(patternOrDir).isDirectory();
  } catch {
    isDir = false;
  }
  if (isDir) {
    dir = patternOrDir;
    accept = (n) => IMAGE.test(n);
  } else if (/%0?\d*d/.test(patternOrDir)) {
    dir = dirname(patternOrDir);
    const base = basename(patternOrDir);
    const [pre, post] = base.split(/%0?\d*d/) as [string, string];
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const re = new RegExp(`^${esc(pre)}\\d+${esc(post)}$`);
    accept = (n) => re.test(n);
  } else if (/[*?[]/.test(patternOrDir)) {
    dir = dirname(patternOrDir);
    const glob = new Bun.Glob(basename(patternOrDir));
    accept = (n) => glob.match(n);
  } else {
    throw new FileError(`encodeImages: ${patternOrDir} is not a directory, a %d pattern or a glob`);
  }
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new FileError(`encodeImages: cannot read the directory ${dir}: ${(e as Error).message}`, { cause: e });
  }
  const files = names.filter(accept).sort((a, b) => frameNumber(a) - frameNumber(b) || (a < b ? -1 : a > b ? 1 : 0));
  if (!files.length) throw new FileError(`encodeImages: no PNG/JPEG frames match ${patternOrDir}`);
  return files.map((n) => join(dir, n));
}

/**
 * Encodes the images to `output` (container from its extension). Every image must have the first one's
 * size: InvalidArgumentError names the first that does not, and no output file is left. Returns the frame
 * count. Size and frame rate come from the first image and `options.fps` (default 30/1).
 */
export function encodeImages(
  patternOrDir: string,
  output: string,
  options: Omit<VideoWriterOptions, "width" | "height" | "inputFormat"> & { width?: never; height?: never },
): number {
  const files = listImages(patternOrDir);
  const first = new VideoReader(files[0]!, { format: "rgb24" });
  const { width, height } = first.metadata;
  first.close();
  const writer = new VideoWriter(output, { ...options, width, height, inputFormat: "rgb24" } as VideoWriterOptions);
  try {
    for (const file of files) {
      using r = new VideoReader(file, { format: "rgb24" });
      const m = r.metadata;
      if (m.width !== width || m.height !== height)
        throw new InvalidArgumentError(`encodeImages: ${file} is ${m.width}x${m.height}, the first frame (${files[0]}) is ${width}x${height}`);
      writer.write(r.frame(0));
    }
    writer.close();
  } catch (e) {
    writer.abort();
    throw e;
  }
  return files.length;
}
