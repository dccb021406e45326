/**
 * Reading regular files through the metrics library (lib/core/file.c) rather than node:fs. Bun has no
 * synchronous read of its own, and importing node:fs costs `av1gym vmaf` about 10 ms of start-up (a fifth of
 * it) and 5 MB of RSS, while the metrics library is loaded for scoring anyway (and brings no libav).
 */
import { ptr, type Pointer } from "bun:ffi";
import { cString, metricsChecks, metricsNative as native } from "../native/ffi";
import { NativeHandle } from "../native/handle";
import { FileError } from "./errors";

const freeFile = (h: Pointer) => native().ag_file_close(h);

/** A regular file opened for reading at any offset. */
export class ReadableFile extends NativeHandle {
  /** Its size in bytes when it was opened. */
  readonly size: number;

  private constructor(readonly path: string, h: Pointer) {
    super("ReadableFile", h, freeFile);
    this.size = Number(native().ag_file_size(h));
  }

  /** FileError (saying why) when `path` is missing, unreadable or not a regular file. */
  static open(path: string): ReadableFile {
    if (path.includes("\0")) throw new FileError(`${JSON.stringify(path)}: a path cannot contain a NUL byte`);
    const h = native().ag_file_open(cString(path)) as Pointer | null;
    return new ReadableFile(path, metricsChecks.checkHandle(h));
  }

  /** Reads `length` bytes at `position` into `buf` from `offset`; returns the bytes read (fewer at the end). */
  read(buf: Uint8Array, position: number, offset = 0, length = buf.length - offset): number {
    if (length <= 0) return 0;
    if (!(position >= 0) || !Number.isSafeInteger(position)) throw new RangeError(`ReadableFile.read: position ${position} is not a byte offset`);
    if (offset < 0 || offset + length > buf.length) throw new RangeError(`ReadableFile.read: ${length} bytes at ${offset} do not fit a buffer of ${buf.length}`);
    const rc = native().ag_file_read(this.handle("read"), ptr(buf, offset), length, position);
    return metricsChecks.check(Number(rc), `reading ${this.path}`);
  }
}

/** The whole of a (UTF-8) text file; FileError when it cannot be read. */
export function readTextFile(path: string): string {
  const f = ReadableFile.open(path);
  try {
    // to the end of the file, not its size: /proc's files say 0 bytes, and a file may grow
    let buf = new Uint8Array(f.size + 1), len = 0;
    for (let got; (got = f.read(buf, len, len)) > 0; ) {
      len += got;
      if (len === buf.length) {
        const bigger = new Uint8Array(2 * len + 4096);
        bigger.set(buf);
        buf = bigger;
      }
    }
    return new TextDecoder().decode(buf.subarray(0, len));
  } finally {
    f.close();
  }
}
