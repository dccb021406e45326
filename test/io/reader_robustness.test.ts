// Regression tests for reader defects a hostile user found (issue 10): semi-planar raw input, a file deleted,
// replaced or rewritten while a reader has it open, and random access on damaged streams. Cases that crashed
// the process run in a subprocess.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync, appendFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { VideoReader, type VideoFrame } from "../../src/io/reader";
import { FileError } from "../../src/core/errors";
import { Rng } from "../../src/core/rng";
import { describeExit, runIsolated } from "../helpers/isolated";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "av1gym-reader-rob-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ffmpeg(args: string[]): void {
  const p = Bun.spawnSync(["ffmpeg", "-v", "error", "-y", ...args], { stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`ffmpeg ${args.join(" ")}: ${p.stderr.toString()}`);
}

/** An H.264 MKV from a generated pattern: `frames` frames, a key frame every `gop`, with B-frames. */
function h264(name: string, frames: number, gop: number): string {
  const path = join(dir, name);
  ffmpeg(["-f", "lavfi", "-i", `testsrc2=size=176x144:rate=25`, "-frames:v", String(frames), "-c:v", "libx264",
    "-g", String(gop), "-keyint_min", String(gop), "-bf", "2", "-preset", "fast", path]);
  return path;
}

const md5 = (f: VideoFrame) => createHash("md5").update(f.y).update(f.u).update(f.v).digest("hex");

describe("semi-planar raw input (nv12, nv21)", () => {
  // libswscale 6 crashed the process on these (NV12/NV21 to YUV420P at most widths).
  for (const [w, h] of [[16, 16], [66, 50], [3, 3], [176, 144]] as const) {
    test(`${w}x${h}: planes equal a de-interleave of the file, no crash`, async () => {
      const cw = (w + 1) >> 1, ch = (h + 1) >> 1;
      const frameBytes = w * h + 2 * cw * ch;
      const bytes = new Uint8Array(frameBytes * 2);
      const rng = new Rng(w * 1000 + h);
      for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(256);
      const path = join(dir, `semi_${w}x${h}.yuv`);
      writeFileSync(path, bytes);
      const r = await runIsolated(`
        import { VideoReader } from "SRC/io/reader";
        const out = {};
        for (const fmt of ["nv12", "nv21"]) {
          using rd = new VideoReader(${JSON.stringify(path)}, { width: ${w}, height: ${h}, pixelFormat: fmt });
          out[fmt] = [0, 1].map((i) => { const f = rd.frame(i); return [Array.from(f.y), Array.from(f.u), Array.from(f.v)]; });
        }
        console.log(JSON.stringify(out));`);
      expect(r.exitCode, describeExit(r)).toBe(0);
      for (const fmt of ["nv12", "nv21"]) {
        for (let i = 0; i < 2; i++) {
          const base = i * frameBytes;
          const y = Array.from(bytes.subarray(base, base + w * h));
          const u: number[] = [], v: number[] = [];
          for (let k = 0; k < cw * ch; k++) {
            const a = bytes[base + w * h + 2 * k]!, b = bytes[base + w * h + 2 * k + 1]!;
            u.push(fmt === "nv12" ? a : b);
            v.push(fmt === "nv12" ? b : a);
          }
          expect(r.result[fmt][i]).toEqual([y, u, v]);
        }
      }
    });
  }

  test("nv16 (4:2:2 semi-planar) converts to 4:2:0 without crashing", async () => {
    const [w, h] = [48, 32];
    const path = join(dir, "semi.nv16");
    writeFileSync(path, new Uint8Array(w * h * 2).fill(77));
    const r = await runIsolated(`
      import { VideoReader } from "SRC/io/reader";
      using rd = new VideoReader(${JSON.stringify(path)}, { raw: true, width: ${w}, height: ${h}, pixelFormat: "nv16" });
      const f = rd.frame(0);
      console.log(JSON.stringify({ y: f.y[5], u: f.u[7], v: f.v[3], n: f.u.length }));`);
    expect(r.exitCode, describeExit(r)).toBe(0);
    expect(r.result).toEqual({ y: 77, u: 77, v: 77, n: 24 * 16 });
  });
});

describe("a file that changes while a reader has it open", () => {
  test("deleted: every later read is a FileError, the reader stays consistent (no crash)", async () => {
    const src = h264("deleted_src.mkv", 60, 10);
    const path = join(dir, "deleted.mkv");
    copyFileSync(src, path);
    const r = await runIsolated(`
      import { VideoReader } from "SRC/io/reader";
      const rd = new VideoReader(${JSON.stringify(path)});
      rd.frame(0);
      (await import("node:fs")).unlinkSync(${JSON.stringify(path)});
      const out = [];
      for (const i of [35, 55, 5, 0, 22, 59]) {
        try { rd.frame(i); out.push("ok"); } catch (e) { out.push(e.constructor.name + ": " + e.message); }
      }
      rd.close();
      console.log(JSON.stringify(out));`);
    expect(r.exitCode, describeExit(r)).toBe(0);
    expect(r.result).toHaveLength(6);
    for (const m of r.result) expect(m).toMatch(/^FileError: .*was deleted since this reader opened it/);
  });

  test("replaced at the same path: FileError, not the new file's frames", () => {
    const a = h264("replaced_a.mkv", 30, 10);
    const path = join(dir, "replaced.mkv");
    copyFileSync(a, path);
    using rd = new VideoReader(path);
    const first = md5(rd.frame(3));
    const b = join(dir, "replaced_b.mkv");
    ffmpeg(["-f", "lavfi", "-i", "smptebars=size=176x144:rate=25", "-frames:v", "30", "-c:v", "libx264", "-g", "10", b]);
    renameSync(b, path);
    expect(() => rd.frame(25)).toThrow(FileError);
    expect(() => rd.frame(3)).toThrow(/was replaced by another file/);
    expect(first).toHaveLength(32);
  });

  test("rewritten in place (same inode, new size): FileError", () => {
    const path = join(dir, "rewritten.mkv");
    copyFileSync(h264("rewritten_src.mkv", 30, 10), path);
    using rd = new VideoReader(path);
    rd.frame(1);
    appendFileSync(path, new Uint8Array(100));
    expect(() => rd.frame(2)).toThrow(/was modified since this reader opened it/);
  });

  test("raw file replaced: FileError", () => {
    const path = join(dir, "raw_replaced.yuv");
    writeFileSync(path, new Uint8Array(64 * 64 * 3).fill(10));
    using rd = new VideoReader(path, { width: 64, height: 64 });
    expect(rd.frame(0).y[0]).toBe(10);
    const tmp = join(dir, "raw_replaced.tmp");
    writeFileSync(tmp, new Uint8Array(64 * 64 * 3).fill(200));
    renameSync(tmp, path);
    expect(() => rd.frame(1)).toThrow(FileError);
  });
});

describe("damaged streams", () => {
  test("random access on a damaged H.264 MKV equals the sequential decode, frame for frame", () => {
    const clean = h264("damage_src.mkv", 120, 20);
    const bytes = new Uint8Array(readFileSync(clean));
    // Damage the middle of two key frames and one inter frame: the decoder conceals, and a decode that
    // starts at a key frame conceals from other pictures than a sequential one.
    const probe = Bun.spawnSync(["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "packet=pos,size,flags", "-of", "csv=p=0", clean]);
    const pkts = probe.stdout.toString().trim().split("\n").map((l) => l.split(",")).map(([size, pos, flags]) => ({ size: Number(size), pos: Number(pos), key: flags!.startsWith("K") }));
    const keys = pkts.filter((p) => p.key && p.size > 600);
    const inter = pkts.filter((p) => !p.key && p.size > 300);
    expect(keys.length).toBeGreaterThan(2);
    const rng = new Rng(3);
    for (const p of [keys[1]!, keys[3]!, inter[5]!]) for (let i = 0; i < 120; i++) bytes[p.pos + Math.floor(p.size / 3) + i] = rng.int(256);
    const path = join(dir, "damaged.mkv");
    writeFileSync(path, bytes);
    const seq: string[] = [];
    {
      using rd = new VideoReader(path);
      for (const f of rd) seq.push(md5(f));
    }
    expect(new Set(seq).size).toBeGreaterThan(50);
    using rd = new VideoReader(path);
    const order = Array.from({ length: rd.frameCount }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const differ = order.filter((i) => md5(rd.frame(i)) !== seq[i]);
    expect(differ).toEqual([]);
  });
});
