import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync, statSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { VideoReader, type VideoFrame, type RgbFrame } from "../../src/io/reader";
import { FileError, FormatError, InvalidArgumentError, OutOfRangeError, StateError } from "../../src/core/errors";
import { describeShared, sharedPath } from "../helpers/shared";

const ROOT = resolve(import.meta.dir, "..", "..");
const CHILD = join(import.meta.dir, "reader-child.ts");

// ------------------------------------------------------------------ helpers

function run(cmd: string[]): Buffer {
  const p = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe", maxBuffer: 1 << 30 });
  if (p.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed: ${p.stderr.toString()}`);
  return p.stdout as Buffer;
}

function ffprobe(path: string, countFrames = false): Record<string, string> {
  const args = ["ffprobe", "-v", "error", "-select_streams", "v:0"];
  if (countFrames) args.push("-count_frames");
  args.push("-show_entries", "stream=width,height,codec_name,pix_fmt,r_frame_rate,avg_frame_rate,nb_read_frames", "-of", "json", path);
  return JSON.parse(run(args).toString()).streams[0];
}

/** Every frame ffmpeg decodes, as raw bytes in pixel format pixFmt. */
function ffmpegFrames(path: string, pixFmt: string, swsFlags = "bicubic"): Buffer {
  return run(["ffmpeg", "-v", "error", "-i", path, "-sws_flags", swsFlags, "-f", "rawvideo", "-pix_fmt", pixFmt, "-"]);
}

/** The frame's planes, tightly packed one after the other (I420 layout), as bytes. */
function bytesOf(f: VideoFrame): Uint8Array {
  const parts = [f.y, f.u, f.v].map((p) => new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const hashOf = (f: VideoFrame) => Bun.hash(bytesOf(f));

/** Seeded indices (mulberry32), reproducible across runs. */
function randomIndices(n: number, count: number, seed: number): number[] {
  let a = seed >>> 0;
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out.push(((t ^ (t >>> 14)) >>> 0) % count);
  }
  return out;
}

/** Runs test/reader-child.ts with a job; returns its stdout lines and exit code. */
async function child(job: object, timeoutMs = 300_000): Promise<{ lines: string[]; code: number | null; signal: string | null }> {
  const p = Bun.spawn(["bun", CHILD, JSON.stringify(job)], { cwd: ROOT, stdout: "pipe", stderr: "pipe", timeout: timeoutMs });
  const out = await new Response(p.stdout).text();
  await p.exited;
  return { lines: out.split("\n").filter(Boolean), code: p.exitCode, signal: p.signalCode === null ? null : String(p.signalCode) };
}

// A known pattern: sample (x, y) of plane p in frame k. Different in every frame, plane and position.
const W = 64;
const H = 48;
const N = 12;
const pat = (k: number, p: number, x: number, y: number, max = 255) => (k * 37 + p * 71 + x * 3 + y * 5 + ((x * y) >> 3)) % (max + 1);

function patternFrame(k: number, w: number, h: number, max = 255): number[][] {
  const cw = (w + 1) >> 1;
  const ch = (h + 1) >> 1;
  return [0, 1, 2].map((p) => {
    const pw = p ? cw : w;
    const ph = p ? ch : h;
    const a: number[] = [];
    for (let y = 0; y < ph; y++) for (let x = 0; x < pw; x++) a.push(pat(k, p, x, y, max));
    return a;
  });
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "av1gym-reader-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

// ------------------------------------------------------------------ generated content

describe("VideoReader on generated content", () => {
  let rawPath: string;
  let y4mPath: string;
  let mp4Path: string;

  beforeAll(() => {
    // Raw yuv420p with an odd size (chroma rounds up), a y4m of the even-sized pattern, and a lossless
    // H.264 MP4 with B-frames and short GOPs made from it by the ffmpeg CLI.
    rawPath = join(dir, "pattern_65x49.yuv");
    const raw: number[] = [];
    for (let k = 0; k < N; k++) for (const pl of patternFrame(k, 65, 49)) raw.push(...pl);
    writeFileSync(rawPath, Uint8Array.from(raw));

    y4mPath = join(dir, "pattern.y4m");
    const chunks: Uint8Array[] = [Buffer.from(`YUV4MPEG2 W${W} H${H} F30000:1001 Ip A1:1 C420jpeg\n`)];
    for (let k = 0; k < N; k++) {
      chunks.push(Buffer.from("FRAME\n"));
      for (const pl of patternFrame(k, W, H)) chunks.push(Uint8Array.from(pl));
    }
    writeFileSync(y4mPath, Buffer.concat(chunks));

    mp4Path = join(dir, "pattern.mp4");
    run(["ffmpeg", "-v", "error", "-y", "-i", y4mPath, "-c:v", "libx264", "-qp", "0", "-bf", "2", "-g", "5", "-pix_fmt", "yuv420p", mp4Path]);
  });

  const expectPattern = (f: VideoFrame, k: number, w: number, h: number) => {
    const want = patternFrame(k, w, h);
    expect(Array.from(f.y)).toEqual(want[0]);
    expect(Array.from(f.u)).toEqual(want[1]);
    expect(Array.from(f.v)).toEqual(want[2]);
  };

  test("raw .yuv: size, count from the file size, default 25 fps, exact samples (odd size)", () => {
    using r = new VideoReader(rawPath, { width: 65, height: 49 });
    expect(r.metadata).toMatchObject({ width: 65, height: 49, frameCount: N, fps: 25, codec: "rawvideo", pixelFormat: "yuv420p", bitDepth: 8 });
    expect(r.duration).toBeCloseTo(N / 25, 9);
    let k = 0;
    for (const f of r) {
      expect(f.index).toBe(k);
      expect(f.time).toBeCloseTo(k / 25, 9);
      expect(f.u.length).toBe(33 * 25);
      expectPattern(f, k, 65, 49);
      k++;
    }
    expect(k).toBe(N);
    expectPattern(r.frame(7), 7, 65, 49);
    expectPattern(r.frame(2), 2, 65, 49);
  });

  test("raw .yuv: the fps option as a number and as a fraction", () => {
    using a = new VideoReader(rawPath, { width: 65, height: 49, fps: 29.97 });
    expect(a.metadata.frameRate).toEqual({ num: 30000, den: 1001 });
    using b = new VideoReader(rawPath, { width: 65, height: 49, fps: { num: 24000, den: 1001 } });
    expect(b.fps).toBeCloseTo(23.976, 3);
    expect(b.timeOf(3)).toBeCloseTo((3 * 1001) / 24000, 9);
  });

  test("y4m: header size and rate, exact samples, random access", () => {
    using r = new VideoReader(y4mPath);
    expect(r.metadata).toMatchObject({ width: W, height: H, frameCount: N, frameRate: { num: 30000, den: 1001 }, bitDepth: 8 });
    let k = 0;
    for (const f of r) expectPattern(f, k++, W, H);
    for (const i of [9, 3, 3, 11, 0]) expectPattern(r.frame(i), i, W, H);
  });

  test("lossless H.264 MP4 with B-frames: count matches ffprobe, frames are the pattern, random access exact", () => {
    using r = new VideoReader(mp4Path);
    expect(r.frameCount).toBe(Number(ffprobe(mp4Path, true).nb_read_frames));
    expect(r.frameCount).toBe(N);
    expect(r.metadata.codec).toBe("h264");
    let k = 0;
    for (const f of r) expectPattern(f, k++, W, H);
    for (const i of randomIndices(30, N, 7)) expectPattern(r.frame(i), i, W, H);
    // Key frames every 5 frames, as encoded.
    expect([0, 5, 10].every((i) => r.isKeyFrame(i))).toBe(true);
  });

  test("other containers and codecs: lossless VP9 WebM, H.264 MKV, HEVC MP4 are the pattern; AV1 IVF matches ffmpeg", () => {
    const webm = join(dir, "pattern.webm");
    run(["ffmpeg", "-v", "error", "-y", "-i", y4mPath, "-c:v", "libvpx-vp9", "-lossless", "1", "-g", "5", webm]);
    const mkv = join(dir, "pattern.mkv");
    run(["ffmpeg", "-v", "error", "-y", "-i", y4mPath, "-c:v", "libx264", "-qp", "0", "-bf", "3", "-g", "4", mkv]);
    // HEVC with x265's default open GOPs (CRA key frames with leading pictures): lossless.
    const hevc = join(dir, "pattern_hevc.mp4");
    run(["ffmpeg", "-v", "error", "-y", "-i", y4mPath, "-c:v", "libx265", "-x265-params", "log-level=none:lossless=1:keyint=4:min-keyint=4:bframes=3", hevc]);
    for (const [path, codec] of [[webm, "vp9"], [mkv, "h264"], [hevc, "hevc"]]) {
      using r = new VideoReader(path);
      expect(r.metadata).toMatchObject({ codec, frameCount: N, width: W, height: H });
      let k = 0;
      for (const f of r) expectPattern(f, k++, W, H);
      for (const i of randomIndices(20, N, 3)) expectPattern(r.frame(i), i, W, H);
    }
    const ivf = join(dir, "pattern.ivf");
    run(["ffmpeg", "-v", "error", "-y", "-i", y4mPath, "-c:v", "libaom-av1", "-cpu-used", "8", "-crf", "30", "-g", "5", ivf]);
    using r = new VideoReader(ivf);
    expect(r.metadata.codec).toBe("av1");
    expect(r.frameCount).toBe(Number(ffprobe(ivf, true).nb_read_frames));
    const ref = ffmpegFrames(ivf, "yuv420p");
    const size = (W * H * 3) / 2;
    const seq = Array.from(r.frames(), (f) => {
      expect(Buffer.compare(Buffer.from(bytesOf(f)), ref.subarray(f.index * size, (f.index + 1) * size))).toBe(0);
      return hashOf(f);
    });
    expect(seq.length * size).toBe(ref.length);
    for (const i of randomIndices(20, N, 5)) expect(hashOf(r.frame(i))).toBe(seq[i]);
  }, 300_000);

  test("no timestamps (raw H.264 stream): frames numbered in output order, still exact; MPEG-TS with pts", () => {
    const es = join(dir, "pattern.h264");
    run(["ffmpeg", "-v", "error", "-y", "-i", mp4Path, "-c", "copy", es]);
    const ts = join(dir, "pattern.ts");
    run(["ffmpeg", "-v", "error", "-y", "-i", mp4Path, "-c", "copy", ts]);
    for (const [path, exact] of [[es, false], [ts, true]] as const) {
      using r = new VideoReader(path);
      expect(r.metadata.exactTimestamps).toBe(exact);
      expect(r.frameCount).toBe(N);
      let k = 0;
      for (const f of r) expectPattern(f, k++, W, H);
      for (const i of randomIndices(15, N, 11)) expectPattern(r.frame(i), i, W, H);
    }
  }, 300_000);

  test("10-bit y4m (made by ffmpeg from 10-bit raw): 16-bit planes with the exact values", () => {
    const raw = join(dir, "p10.yuv");
    const all: number[] = [];
    for (let k = 0; k < 4; k++) for (const pl of patternFrame(k, W, H, 1023)) all.push(...pl);
    writeFileSync(raw, new Uint8Array(Uint16Array.from(all).buffer));
    const y4m = join(dir, "p10.y4m");
    run(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "yuv420p10le", "-s", `${W}x${H}`, "-r", "24", "-i", raw, "-strict", "-1", y4m]);
    using r = new VideoReader(y4m);
    expect(r.metadata).toMatchObject({ bitDepth: 10, outputBitDepth: 10, frameCount: 4, fps: 24 });
    for (const f of r) {
      expect(f.y).toBeInstanceOf(Uint16Array);
      const want = patternFrame(f.index, W, H, 1023);
      expect([Array.from(f.y), Array.from(f.u), Array.from(f.v)]).toEqual(want);
    }
  });

  test("frames({ start, end }), reuse, and decoding into a caller's frame", () => {
    using r = new VideoReader(mp4Path, { threads: 2 });
    const idx = Array.from(r.frames({ start: 3, end: 9 }), (f) => f.index);
    expect(idx).toEqual([3, 4, 5, 6, 7, 8]);
    const seen = new Set<VideoFrame>();
    for (const f of r.frames({ start: 2, end: 6, reuse: true })) {
      seen.add(f);
      expectPattern(f, f.index, W, H);
    }
    expect(seen.size).toBe(1);
    const into = r.allocFrame();
    const out = r.frame(8, into);
    expect(out).toBe(into);
    expectPattern(into, 8, W, H);
    expect(() => r.frame(1, { ...into, y: new Uint8Array(10) })).toThrow(InvalidArgumentError);
    expect(() => Array.from(r.frames({ start: 5, end: 99 }))).toThrow(OutOfRangeError);
  });

  test("frameAt: nearest frame, tolerance, and OutOfRangeError outside the file", () => {
    using r = new VideoReader(mp4Path);
    const dt = 1001 / 30000;
    expect(r.frameAt(4 * dt).index).toBe(4);
    expect(r.frameAt(4 * dt + 0.4 * dt).index).toBe(4);
    expect(r.frameAt(4 * dt + 0.6 * dt).index).toBe(5);
    expect(r.frameAt(5 * dt).time).toBeCloseTo(5 * dt, 6);
    expect(r.frameAt(5 * dt).pts).toBe(Math.round((5 * dt) / (r.metadata.timeBase.num / r.metadata.timeBase.den)));
    expect(() => r.frameAt(-1)).toThrow(OutOfRangeError);
    expect(() => r.frameAt(100)).toThrow(OutOfRangeError);
    expect(() => r.frameAt(4.3 * dt, { toleranceS: 0.1 * dt })).toThrow(OutOfRangeError);
    expect(() => r.frameAt(Number.NaN)).toThrow(InvalidArgumentError);
    expect(r.frameAt((N - 1) * dt + 0.9 * dt).index).toBe(N - 1);
  });

  test("RGB24 via libswscale: one packed plane, equal to ffmpeg's conversion with the same flags", () => {
    using r = new VideoReader(mp4Path, { format: "rgb24" });
    // ffmpeg converting with the flags the reader uses (lib/io/reader.c write_out).
    const ref = ffmpegFrames(mp4Path, "rgb24", "bicubic+accurate_rnd+full_chroma_int");
    const size = W * H * 3;
    let n = 0;
    for (const f of r) {
      expect(f.format).toBe("rgb24");
      expect(f.stride).toBe(W * 3);
      expect(f.data.length).toBe(size);
      expect(Buffer.compare(Buffer.from(f.data), ref.subarray(f.index * size, (f.index + 1) * size))).toBe(0);
      n++;
    }
    expect(n).toBe(N);
    const one: RgbFrame = r.frame(5);
    expect(Buffer.compare(Buffer.from(one.data), ref.subarray(5 * size, 6 * size))).toBe(0);
  });

  test("10-bit raw: 16-bit planes with the exact values, or 8-bit on request", () => {
    const path = join(dir, "pattern10_64x48.yuv");
    const frames = 3;
    const all: number[] = [];
    for (let k = 0; k < frames; k++) for (const pl of patternFrame(k, W, H, 1023)) all.push(...pl);
    writeFileSync(path, new Uint8Array(Uint16Array.from(all).buffer));
    using r = new VideoReader(path, { width: W, height: H, pixelFormat: "yuv420p10le" });
    expect(r.metadata).toMatchObject({ bitDepth: 10, outputBitDepth: 10, pixelFormat: "yuv420p10le", frameCount: frames });
    const f = r.frame(2);
    expect(f.y).toBeInstanceOf(Uint16Array);
    expect(f.bitDepth).toBe(10);
    expect(Array.from(f.y)).toEqual(patternFrame(2, W, H, 1023)[0]);
    using r8 = new VideoReader(path, { width: W, height: H, pixelFormat: "yuv420p10le", bitDepth: 8 });
    const g = r8.frame(2);
    expect(g.y).toBeInstanceOf(Uint8Array);
    expect(g.bitDepth).toBe(8);
    let maxErr = 0;
    for (let i = 0; i < g.y.length; i++) maxErr = Math.max(maxErr, Math.abs(g.y[i] - f.y[i] / 4));
    expect(maxErr).toBeLessThanOrEqual(2);
  });

  test("index and argument errors are typed; close is idempotent; use after close is a StateError", () => {
    const r = new VideoReader(y4mPath);
    expect(() => r.frame(-1)).toThrow(OutOfRangeError);
    expect(() => r.frame(N)).toThrow(OutOfRangeError);
    expect(() => r.frame(1.5)).toThrow(InvalidArgumentError);
    expect(() => r.frame(Number.NaN)).toThrow(InvalidArgumentError);
    expect(() => r.frame("3" as unknown as number)).toThrow(InvalidArgumentError);
    r.close();
    r.close();
    expect(r.closed).toBe(true);
    expect(() => r.frame(0)).toThrow(StateError);
    expect(() => r.frameAt(0)).toThrow(StateError);
    expect(() => r.frames().next()).toThrow(StateError);
    expect(() => r[Symbol.iterator]().next()).toThrow(StateError);
    // Closing mid-iteration stops the iteration with a StateError.
    const s = new VideoReader(y4mPath);
    const it = s.frames();
    it.next();
    s.close();
    expect(() => it.next()).toThrow(StateError);
  });

  test("options are validated with messages that say what to pass", () => {
    expect(() => new VideoReader(y4mPath, { threads: 0 })).toThrow(InvalidArgumentError);
    expect(() => new VideoReader(y4mPath, { format: "bgr" as "rgb24" })).toThrow(/format/);
    expect(() => new VideoReader(y4mPath, { bitDepth: 10 as 8 })).toThrow(InvalidArgumentError);
    expect(() => new VideoReader(y4mPath, { colour: 1 } as object)).toThrow(InvalidArgumentError);
    expect(() => new VideoReader(y4mPath, { width: 64, height: 48 })).toThrow(/raw/);
    expect(() => new VideoReader(rawPath)).toThrow(/width: .*height/);
    expect(() => new VideoReader(rawPath, { width: 65 })).toThrow(InvalidArgumentError);
    expect(() => new VideoReader(rawPath, { width: 65, height: 49, pixelFormat: "nosuchfmt" })).toThrow(InvalidArgumentError);
    expect(() => new VideoReader("")).toThrow(InvalidArgumentError);
  });

  test("bad files give typed errors, never a crash (in a subprocess)", async () => {
    const empty = join(dir, "empty.mp4");
    writeFileSync(empty, new Uint8Array(0));
    const noise = join(dir, "noise.mp4");
    writeFileSync(noise, Uint8Array.from({ length: 200_000 }, (_, i) => (i * 2654435761) >>> 24));
    const short = join(dir, "short.yuv");
    writeFileSync(short, new Uint8Array(65 * 49 * 3)); // not a whole number of 65x49 yuv420p frames
    // A truncated MP4 whose header (moov first) survives: the frames with data decode, then a FormatError.
    const fast = join(dir, "fast.mp4");
    run(["ffmpeg", "-v", "error", "-y", "-i", mp4Path, "-c", "copy", "-movflags", "+faststart", fast]);
    const whole = readFileSync(fast);
    const trunc = join(dir, "trunc.mp4");
    writeFileSync(trunc, whole.subarray(0, Math.floor(whole.length * 0.7)));
    const cases = [
      { path: join(dir, "does-not-exist.mp4") },
      { path: dir },
      { path: empty },
      { path: noise },
      { path: short, options: { width: 65, height: 49 } },
      { path: trunc },
    ];
    const res = await child({ mode: "cases", cases });
    expect(res.signal).toBeNull();
    expect(res.code).toBe(0);
    const out = res.lines.map((l) => JSON.parse(l));
    expect(out.map((o) => o.result).slice(0, 5)).toEqual(["FileError", "FileError", "FormatError", "FormatError", "FormatError"]);
    expect(out[1].message).toContain("directory");
    expect(out[2].message).toContain("empty");
    expect(out[4].message).toContain(String(65 * 49 * 3));
    expect(out[4].message).toContain(String(65 * 49 + 2 * 33 * 25));
    // Truncated: opens with the frames whose packets survive whole (the partial last packet is not a frame),
    // as many as ffprobe -count_frames decodes, and reads them all.
    expect(out[5].result).toBe("ok");
    expect(out[5].frameCount).toBe(Number(ffprobe(trunc, true).nb_read_frames));
    expect(out[5].frameCount).toBeGreaterThan(0);
    expect(out[5].frameCount).toBeLessThan(N);
    expect(out[5].read).toBe(out[5].frameCount);
  }, 300_000);
});

/**
 * Reads mutated copies of `source` (seeds a..b-1) in one subprocess, watching its progress: every file must
 * finish within perFileMs (a file takes milliseconds; the margin is for a heavily loaded machine) and the batch
 * within 5 minutes. Throws (naming the seed and file) on a crash, a hang, a
 * non-typed error or a missing completion marker; returns the number of files read.
 */
async function fuzzBatch(source: string, a: number, b: number, fuzzDir: string, perFileMs = 20_000, inject?: object): Promise<number> {
  const p = Bun.spawn(["bun", CHILD, JSON.stringify({ mode: "fuzz", source, seeds: [a, b], dir: fuzzDir, ...inject })], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
    timeout: 300_000,
  });
  let last = Date.now();
  let current = "";
  let hung = "";
  const done = new Set<number>();
  const watchdog = setInterval(() => {
    if (Date.now() - last > perFileMs && !hung) {
      hung = current;
      p.kill(9);
    }
  }, 100);
  let buf = "";
  const dec = new TextDecoder();
  for await (const chunk of p.stdout) {
    buf += dec.decode(chunk);
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      last = Date.now();
      if (line.startsWith("START ")) current = line;
      if (line.startsWith("DONE ")) done.add(Number(line.split(" ")[1]));
    }
  }
  await p.exited;
  clearInterval(watchdog);
  const stderr = await new Response(p.stderr).text();
  if (hung) throw new Error(`fuzz hang (> ${perFileMs} ms) on: ${hung}`);
  if (p.exitCode !== 0) throw new Error(`fuzz child exited ${p.exitCode} (signal ${p.signalCode}) during: ${current}\n${stderr.slice(-2000)}`);
  for (let s = a; s < b; s++) if (!done.has(s)) throw new Error(`fuzz file for seed ${s} of ${source} did not complete`);
  return b - a;
}

// ------------------------------------------------------------------ real clips

const CLIPS = ["bikes_640x272_250f.mp4", "carphone_176x144_120f.mp4", "seeking_384x288_150f.mp4", "seeking_720x480_150f.mp4", "parkjoy_480x270_10f.y4m"];

describe("fuzz harness", () => {
  test("the fuzz harness itself fails on a crash and on a hang (so the fuzz test can fail)", async () => {
    const src = join(dir, "meta.y4m");
    writeFileSync(src, Buffer.concat([Buffer.from(`YUV4MPEG2 W16 H16 F25:1\n`), Buffer.from("FRAME\n"), new Uint8Array(384)]));
    const fuzzDir = mkdtempSync(join(dir, "meta-"));
    expect(await fuzzBatch(src, 0, 5, fuzzDir)).toBe(5);
    await expect(fuzzBatch(src, 0, 5, fuzzDir, 20_000, { crashAt: 3 })).rejects.toThrow(/signal SIGSEGV.*START 3/s);
    await expect(fuzzBatch(src, 0, 5, fuzzDir, 5_000, { hangAt: 2 })).rejects.toThrow(/hang .*START 2/);
  }, 300_000);
});

describeShared("VideoReader on the shared clips", () => {
  test("metadata of each clip matches ffprobe (frame count by ffprobe -count_frames)", () => {
    for (const name of CLIPS) {
      const path = sharedPath("clips", name);
      const p = ffprobe(path, true);
      using r = new VideoReader(path);
      const [num, den] = p.avg_frame_rate.split("/").map(Number);
      expect({ name, w: r.width, h: r.height, codec: r.metadata.codec, pix: r.metadata.pixelFormat, n: r.frameCount }).toEqual({
        name,
        w: Number(p.width),
        h: Number(p.height),
        codec: p.codec_name,
        pix: p.pix_fmt,
        n: Number(p.nb_read_frames),
      });
      expect(r.fps).toBeCloseTo(num / den, 9);
      expect(r.duration).toBeCloseTo(r.frameCount / r.fps, 6);
      expect(r.metadata.bitDepth).toBe(8);
      // The frame count in the file name is the truth the clips were cut to.
      expect(r.frameCount).toBe(Number(/_(\d+)f\./.exec(name)![1]));
    }
  }, 300_000);

  test("sequential decode is bit-exact with ffmpeg's (B-frame clip, 720x480 clip, y4m)", () => {
    for (const name of ["bikes_640x272_250f.mp4", "seeking_720x480_150f.mp4", "parkjoy_480x270_10f.y4m"]) {
      const path = sharedPath("clips", name);
      const ref = ffmpegFrames(path, "yuv420p");
      using r = new VideoReader(path);
      const size = (r.width * r.height * 3) / 2;
      let n = 0;
      for (const f of r.frames({ reuse: true })) {
        const want = ref.subarray(f.index * size, (f.index + 1) * size);
        if (Buffer.compare(Buffer.from(bytesOf(f)), want) !== 0) throw new Error(`${name}: frame ${f.index} differs from ffmpeg's`);
        n++;
      }
      expect(n * size).toBe(ref.length);
    }
  }, 300_000);

  test("frame(i) equals the i-th frame of sequential decode for random i across GOPs (threads 1 and 2)", () => {
    for (const name of ["bikes_640x272_250f.mp4", "seeking_720x480_150f.mp4", "carphone_176x144_120f.mp4"]) {
      const path = sharedPath("clips", name);
      const seq: number[] = [];
      {
        using r = new VideoReader(path);
        for (const f of r.frames({ reuse: true })) seq.push(Number(hashOf(f)));
      }
      for (const threads of [1, 2]) {
        using r = new VideoReader(path, { threads });
        const keys = Array.from({ length: r.frameCount }, (_, i) => i).filter((i) => r.isKeyFrame(i));
        // Random indices, plus the frames around each key frame (GOP boundaries) and backwards steps.
        const idx = [...randomIndices(30, r.frameCount, 99 + threads), ...keys.flatMap((k) => [k, k - 1, k + 1]), r.frameCount - 1, 0];
        for (const i of idx.filter((i) => i >= 0 && i < r.frameCount)) {
          const got = Number(hashOf(r.frame(i)));
          if (got !== seq[i]) throw new Error(`${name} threads ${threads}: frame(${i}) differs from sequential decode`);
        }
      }
    }
  }, 300_000);

  test("raw clips: count from the file size; the 10-bit pair is 16-bit samples 64..956 equal to the file", () => {
    using r = new VideoReader(sharedPath("clips", "foreman_352x288_2f.yuv"), { width: 352, height: 288 });
    expect(r.frameCount).toBe(2);
    const path = sharedPath("clips", "src01_576x324_3f_yuv420p10le.yuv");
    using t = new VideoReader(path, { width: 576, height: 324, pixelFormat: "yuv420p10le" });
    expect(t.frameCount).toBe(statSync(path).size / ((576 * 324 * 3) / 2) / 2);
    const file = new Uint16Array(readFileSync(path).buffer.slice(0));
    const size = (576 * 324 * 3) / 2;
    let lo = 1 << 16;
    let hi = 0;
    for (const f of t) {
      const planes = [...f.y, ...f.u, ...f.v];
      expect(planes).toEqual(Array.from(file.subarray(f.index * size, (f.index + 1) * size)));
      for (const v of planes) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    expect(lo).toBeGreaterThanOrEqual(64);
    expect(hi).toBeLessThanOrEqual(956);
    expect(() => new VideoReader(path, { width: 577, height: 324, pixelFormat: "yuv420p10le" })).toThrow(FormatError);
  });

  test("fuzz: 500 mutated copies of real clips (MP4, IVF/AV1, Y4M, MKV) never crash or hang", async () => {
    // Sources: real clips cut short so each mutated file reads in milliseconds.
    const mp4 = join(dir, "carphone40.mp4");
    run(["ffmpeg", "-v", "error", "-y", "-i", sharedPath("clips", "carphone_176x144_120f.mp4"), "-frames:v", "40", "-c", "copy", "-movflags", "+faststart", mp4]);
    const ivf = join(dir, "carphone30.ivf");
    run(["ffmpeg", "-v", "error", "-y", "-i", sharedPath("clips", "carphone_176x144_120f.mp4"), "-frames:v", "30", "-c:v", "libsvtav1", "-preset", "12", "-g", "10", ivf]);
    const y4m = join(dir, "parkjoy6.y4m");
    run(["ffmpeg", "-v", "error", "-y", "-i", sharedPath("clips", "parkjoy_480x270_10f.y4m"), "-vf", "scale=160:90", "-frames:v", "6", y4m]);
    const mkv = join(dir, "bikes30.mkv");
    run(["ffmpeg", "-v", "error", "-y", "-i", sharedPath("clips", "bikes_640x272_250f.mp4"), "-frames:v", "30", "-vf", "scale=160:68", "-c:v", "libx264", "-bf", "3", "-g", "8", mkv]);
    const jobs: [string, number, number][] = [
      [mp4, 0, 220],
      [ivf, 1000, 1130],
      [y4m, 2000, 2080],
      [mkv, 3000, 3080],
    ];
    const fuzzDir = mkdtempSync(join(dir, "fuzz-"));
    let files = 0;
    for (const [source, a, b] of jobs) files += await fuzzBatch(source, a, b, fuzzDir);
    expect(files).toBeGreaterThanOrEqual(500);
  }, 900_000);
});
