/**
 * ReadableFile / readTextFile (lib/core/file.c through the metrics library): reads at offsets, short reads at
 * the end, typed errors for what is not a readable regular file; and ag_newer_source, the check that refuses a
 * native library older than its sources.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileError, StateError } from "../../src/core/errors";
import { ReadableFile, readTextFile } from "../../src/core/file";
import { metricsNative } from "../../src/native/ffi";

const dir = mkdtempSync(join(tmpdir(), "av1gym-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("ReadableFile", () => {
  test("reads at any offset; fewer bytes only at the end; size as opened", () => {
    const p = join(dir, "bytes.bin");
    writeFileSync(p, Uint8Array.from({ length: 1000 }, (_, i) => i & 255));
    using f = ReadableFile.open(p);
    expect(f.size).toBe(1000);
    const buf = new Uint8Array(16).fill(7);
    expect(f.read(buf, 300, 4, 8)).toBe(8);
    expect([...buf.subarray(0, 4)]).toEqual([7, 7, 7, 7]);
    expect([...buf.subarray(4, 12)]).toEqual([44, 45, 46, 47, 48, 49, 50, 51]); // 300 & 255 = 44
    expect(f.read(buf, 995)).toBe(5);
    expect(f.read(buf, 5000)).toBe(0);
    expect(() => f.read(buf, 0, 10, 10)).toThrow(RangeError);
    for (const bad of [-1, NaN, 1.5]) expect(() => f.read(buf, bad)).toThrow(RangeError);
    f.close();
    expect(() => f.read(buf, 0)).toThrow(StateError);
  });

  test("missing files, folders, FIFOs and NUL bytes are FileErrors that say why", () => {
    expect(() => ReadableFile.open(join(dir, "none.bin"))).toThrow(/none\.bin: No such file or directory/);
    expect(() => ReadableFile.open(dir)).toThrow(/is a directory/);
    const fifo = join(dir, "fifo");
    Bun.spawnSync(["mkfifo", fifo]);
    // O_NONBLOCK: no wait for a writer
    expect(() => ReadableFile.open(fifo)).toThrow(/not a regular file/);
    expect(() => ReadableFile.open("a\0b")).toThrow(FileError);
    expect(() => ReadableFile.open("")).toThrow();
    expect(() => readTextFile(join(dir, "none.txt"))).toThrow(FileError);
  });

  test("readTextFile decodes UTF-8; empty, large and /proc files", () => {
    writeFileSync(join(dir, "t.txt"), "naïve ✓\n");
    writeFileSync(join(dir, "empty.txt"), "");
    expect(readTextFile(join(dir, "t.txt"))).toBe("naïve ✓\n");
    expect(readTextFile(join(dir, "empty.txt"))).toBe("");
    // /proc's files say they are empty: read to the end, not to the size
    expect(readTextFile("/proc/self/status")).toContain("VmRSS:");
    const big = "x".repeat(100_000);
    writeFileSync(join(dir, "big.txt"), big);
    expect(readTextFile(join(dir, "big.txt"))).toBe(big);
  });
});

describe("ag_newer_source", () => {
  const cstr = (s: string) => new TextEncoder().encode(`${s}\0`);
  const newer = (lib: string, rels: string, builtMs: number): string | null => {
    const out = new Uint8Array(256);
    const rc = metricsNative().ag_newer_source(cstr(lib), cstr(rels), builtMs, out, out.length);
    return rc > 0 ? new TextDecoder().decode(out.subarray(0, out.indexOf(0))) : null;
  };

  test("names the first .c/.h file modified after the build, skipping build/ and other files", () => {
    const lib = join(dir, "lib");
    for (const d of ["core", "metrics/sub", "build"]) mkdirSync(join(lib, d), { recursive: true });
    const t0 = Date.now() / 1000 - 100;
    for (const f of ["core/a.c", "metrics/sub/b.h", "build/x.c", "metrics/notes.txt", "internal.h"]) {
      writeFileSync(join(lib, f), "");
      utimesSync(join(lib, f), t0, t0);
    }
    const built = t0 * 1000 + 1;
    expect(newer(lib, ".", built)).toBeNull();
    utimesSync(join(lib, "metrics/sub/b.h"), t0 + 50, t0 + 50);
    expect(newer(lib, ".", built)).toBe("metrics/sub/b.h");
    expect(newer(lib, "core:internal.h", built)).toBeNull();
    utimesSync(join(lib, "build/x.c"), t0 + 50, t0 + 50); // the build output is not a source
    utimesSync(join(lib, "metrics/notes.txt"), t0 + 50, t0 + 50);
    expect(newer(lib, "core", built)).toBeNull();
    utimesSync(join(lib, "internal.h"), t0 + 50, t0 + 50);
    expect(newer(lib, "core:internal.h", built)).toBe("internal.h");
    expect(newer(join(dir, "nowhere"), ".", built)).toBeNull();
  });
});
