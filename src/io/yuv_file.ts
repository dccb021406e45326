/**
 * YuvFile: 4:2:0 frames straight out of a raw planar file (yuv420p, yuv420p10le) or a Y4M file (C420*, C420p10)
 * with plain reads (ReadableFile: the metrics library's, no node:fs). scoreFiles uses it so that scoring such
 * files never loads libav and SVT-AV1 (the ~140 shared objects cost about 100 ms of start-up and 25 MB of RSS,
 * against the few ms the metrics themselves need to start). The frames are those VideoReader gives, byte for
 * byte (test/io/yuv_file.test.ts).
 *
 * `openYuvFile` returns null for anything it does not handle exactly (another pixel format or chroma layout, a
 * file whose size is not a whole number of frames, Y4M frame headers with parameters, a file it cannot stat):
 * the caller then uses VideoReader, which reads those or says what is wrong with them.
 */
import { FileError, FormatError } from "../core/errors";
import { ReadableFile } from "../core/file";
import { extName } from "../core/paths";
import { chromaSize, type I420Frame } from "../core/frame";

const RAW_DEPTH: Record<string, number> = { yuv420p: 8, yuv420p10le: 10 };
// Y4M chroma tags for 4:2:0 (the siting differs, the samples do not); no C tag means 420jpeg
const Y4M_DEPTH: Record<string, number> = { "420jpeg": 8, "420paldv": 8, "420mpeg2": 8, "420": 8, "420p10": 10 };
const FRAME_MARK = "FRAME\n";

export interface YuvFile {
  readonly path: string;
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  readonly frameCount: number;
  /**
   * Frames 0..end-1, one frame object overwritten in place (as VideoReader's `reuse`). With `lumaOnly` the
   * chroma planes are not read (they hold zeros): for consumers of luma alone, such as VMAF and SSIM.
   */
  frames(end?: number, lumaOnly?: boolean): Generator<I420Frame, void, undefined>;
  close(): void;
}

interface Layout {
  width: number;
  height: number;
  bitDepth: number;
  /** byte offset of frame 0's planes, and the distance between frames */
  first: number;
  step: number;
  /** bytes of per-frame header checked before each frame (Y4M's "FRAME\n"), or 0 */
  mark: number;
  frameCount: number;
}

function frameBytes(w: number, h: number, depth: number): number {
  const c = chromaSize(w, h);
  return (w * h + 2 * c.width * c.height) * (depth > 8 ? 2 : 1);
}

const latin1 = (b: Uint8Array): string => String.fromCharCode(...b);

function y4mLayout(f: ReadableFile): Layout | null {
  const size = f.size;
  const head = new Uint8Array(Math.min(size, 1024));
  f.read(head, 0);
  const nl = head.indexOf(10);
  if (nl < 0 || latin1(head.subarray(0, 10)) !== "YUV4MPEG2 ") return null;
  let width = 0, height = 0, chroma = "420jpeg";
  for (const tok of latin1(head.subarray(10, nl)).split(" ")) {
    if (tok[0] === "W") width = Number(tok.slice(1));
    else if (tok[0] === "H") height = Number(tok.slice(1));
    else if (tok[0] === "C") chroma = tok.slice(1);
  }
  const bitDepth = Y4M_DEPTH[chroma];
  if (!bitDepth || !Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || width > 65536 || height > 65536) return null;
  const step = FRAME_MARK.length + frameBytes(width, height, bitDepth);
  const body = size - (nl + 1);
  // frames with parameters in their headers ("FRAME Ixx") have other lengths: VideoReader's demuxer reads them
  if (body <= 0 || body % step !== 0) return null;
  return { width, height, bitDepth, first: nl + 1 + FRAME_MARK.length, step, mark: FRAME_MARK.length, frameCount: body / step };
}

function rawLayout(size: number, o: { width?: number; height?: number; pixelFormat?: string }): Layout | null {
  const bitDepth = RAW_DEPTH[o.pixelFormat ?? "yuv420p"];
  const { width, height } = o;
  if (!bitDepth || width === undefined || height === undefined || width > 65536 || height > 65536) return null;
  const step = frameBytes(width, height, bitDepth);
  if (size === 0 || size % step !== 0) return null;
  return { width, height, bitDepth, first: 0, step, mark: 0, frameCount: size / step };
}

/**
 * Opens `path` when it is raw 4:2:0 (`raw`: .yuv/.raw, with width, height and pixelFormat) or a 4:2:0 Y4M file;
 * null when VideoReader should read it instead.
 */
export function openYuvFile(path: string, o: { raw: boolean; width?: number; height?: number; pixelFormat?: string }): YuvFile | null {
  if (!o.raw && extName(path).toLowerCase() !== ".y4m") return null;
  let f: ReadableFile;
  try {
    f = ReadableFile.open(path); // regular files only
  } catch (e) {
    if (e instanceof FileError) return null; // VideoReader says why
    throw e; // the library could not be loaded
  }
  let layout: Layout | null = null;
  try {
    layout = o.raw ? rawLayout(f.size, o) : y4mLayout(f);
  } finally {
    if (!layout) f.close();
  }
  if (!layout) return null;
  const L = layout;
  let open = true;
  return {
    path, width: L.width, height: L.height, bitDepth: L.bitDepth, frameCount: L.frameCount,
    *frames(end = L.frameCount, lumaOnly = false) {
      const c = chromaSize(L.width, L.height);
      const bps = L.bitDepth > 8 ? 2 : 1;
      const ySize = L.width * L.height * bps, cSize = c.width * c.height * bps;
      // the mark and the planes of one frame, read with one call
      const buf = new Uint8Array(L.mark + ySize + 2 * cSize);
      const plane = (off: number, bytes: number) =>
        bps === 2 ? new Uint16Array(buf.buffer, L.mark + off, bytes / 2) : buf.subarray(L.mark + off, L.mark + off + bytes);
      const frame: I420Frame = {
        width: L.width, height: L.height, bitDepth: L.bitDepth,
        y: plane(0, ySize), u: plane(ySize, cSize), v: plane(ySize + cSize, cSize),
        strideY: L.width, strideU: c.width, strideV: c.width,
      };
      const n = Math.min(end, L.frameCount);
      for (let i = 0; i < n; i++) {
        if (!open) throw new FileError(`${path}: read after close`);
        const pos = L.first - L.mark + i * L.step;
        const want = lumaOnly ? L.mark + ySize : buf.length;
        if (f.read(buf, pos, 0, want) < want) throw new FormatError(`reading frame ${i} of ${path}: file shrank`);
        if (L.mark && latin1(buf.subarray(0, L.mark)) !== FRAME_MARK)
          throw new FormatError(`${path}: frame ${i} does not start with a Y4M FRAME marker`);
        yield frame;
      }
    },
    close() {
      f.close();
      open = false;
    },
  };
}
