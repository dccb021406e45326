import { describe, expect, test, beforeAll, afterAll } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VideoWriter, LavfMuxer } from "../../src/io/writer";
import { VideoEncoder } from "../../src/codec/video_encoder";
import { synthFrames } from "../../src/io/synth";
import { FileError, InvalidArgumentError, StateError } from "../../src/core/errors";
import { decodeAll, probe } from "../helpers/media";

const W = 160, H = 96, N = 30;
let dir = "";
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), "av1gym-writer-"))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const frames = () => synthFrames(W, H, N, 3);
const fast = { libx264: { preset: "ultrafast" }, libx265: { preset: "ultrafast" }, "libvpx-vp9": { preset: 8 }, "libaom-av1": { preset: 8 }, av1: { preset: 12 } } as const;

describe("VideoWriter: every container, read back by ffprobe", () => {
  const cases: [string, keyof typeof fast, string, boolean][] = [
    ["mp4", "libx264", "h264", true],
    ["mkv", "libx265", "hevc", true],
    ["webm", "libvpx-vp9", "vp9", true],
    ["ivf", "libaom-av1", "av1", true],
    ["mp4", "av1", "av1", true], // SVT-AV1 packets: av1C built from the sequence header OBU
    ["mp4", "libvpx-vp9", "vp9", true],
    ["h264", "libx264", "h264", false], // raw streams have no duration
    ["hevc", "libx265", "hevc", false],
    ["obu", "av1", "av1", false],
  ];
  for (const [ext, codec, name, timed] of cases)
    test(`.${ext} from ${codec}: ${N} frames at 25 fps${timed ? ", 1.2 s" : ""}, every frame decodes`, () => {
      const path = join(dir, `out-${codec}.${ext}`);
      using w = new VideoWriter(path, { codec, width: W, height: H, fps: { num: 25, den: 1 }, latency: "low", quality: { crf: 35 }, ...fast[codec] });
      for (const f of frames()) w.write(f);
      w.close();
      const p = probe(path);
      expect(p.codec).toBe(name);
      expect(p.frames).toBe(N);
      expect(p.rate).toBe("25/1");
      if (timed) expect(p.duration).toBeCloseTo(N / 25, 6);
      expect(decodeAll(path).length).toBe(N * W * H * 1.5);
      expect(readdirSync(dir).filter((f) => f.endsWith(".part"))).toEqual([]);
    }, 120_000);

  test("MP4 at 30000/1001 fps: exact rate and duration; faststart puts moov before mdat", () => {
    const path = join(dir, "ntsc.mp4");
    using w = new VideoWriter(path, { codec: "libx264", width: W, height: H, fps: { num: 30000, den: 1001 }, latency: "low", preset: "ultrafast" });
    for (const f of frames()) w.write(f);
    w.close();
    const p = probe(path);
    expect(p.rate).toBe("30000/1001");
    expect(p.duration).toBeCloseTo((N * 1001) / 30000, 5);
    const bytes = readFileSync(path);
    expect(bytes.indexOf("moov")).toBeLessThan(bytes.indexOf("mdat"));
  });

  test("packets of any Encoder can be muxed directly (an SVT-AV1 session into MKV)", () => {
    const path = join(dir, "direct.mkv");
    using enc = new VideoEncoder({ codec: "av1", width: W, height: H, fps: { num: 25, den: 1 }, latency: "low", preset: 12 });
    using mux = new LavfMuxer(path);
    mux.addVideo(enc);
    for (const f of frames()) for (const p of enc.encode(f)) mux.write(p);
    for (const p of enc.flush()) mux.write(p);
    mux.close();
    expect(probe(path).frames).toBe(N);
  });
});

describe("VideoWriter: bad input and half-written files", () => {
  const opts = { codec: "libx264", width: W, height: H, latency: "low", preset: "ultrafast" } as const;

  test("a container that cannot hold the codec is refused before any file exists", () => {
    const path = join(dir, "bad.webm");
    expect(() => new VideoWriter(path, opts)).toThrow(/webm container cannot hold h264/);
    expect(existsSync(path) || existsSync(path + ".part")).toBe(false);
    expect(() => new VideoWriter(join(dir, "x.ivf"), opts)).toThrow(InvalidArgumentError);
    expect(() => new VideoWriter(join(dir, "x.nope"), opts)).toThrow(/no container for this extension/);
    expect(() => new VideoWriter(join(dir, "x.mkv"), { ...opts, fragmented: true })).toThrow(/fragmented output is for MP4/);
  });

  test("missing or unwritable directory, a directory as the path: FileError", () => {
    expect(() => new VideoWriter(join(dir, "no", "such", "dir.mp4"), opts)).toThrow(FileError);
    writeFileSync(join(dir, "plain"), "x");
    expect(() => new VideoWriter(join(dir, "plain", "x.mp4"), opts)).toThrow(FileError);
    expect(() => new VideoWriter(dir + "/", { ...opts, format: "mp4" })).toThrow(FileError);
    expect(() => new VideoWriter("/proc/av1gym.mp4", opts)).toThrow(FileError);
  });

  test("closing mid-stream gives a complete file of the frames so far; write after close is a StateError; abort leaves nothing", () => {
    const path = join(dir, "half.mp4");
    const w = new VideoWriter(path, opts);
    let i = 0;
    for (const f of frames()) if (i++ < 7) w.write(f);
    expect(existsSync(path)).toBe(false); // still being written, as .part
    w.close();
    w.close();
    expect(probe(path).frames).toBe(7);
    expect(() => w.write([...frames()][0]!)).toThrow(StateError);
    const gone = join(dir, "gone.mp4");
    const a = new VideoWriter(gone, opts);
    for (const f of synthFrames(W, H, 3, 1)) a.write(f);
    a.abort();
    expect(existsSync(gone) || existsSync(gone + ".part")).toBe(false);
  });

  test("a wrong frame is a typed error and the writer goes on", () => {
    const path = join(dir, "wrong.mp4");
    using w = new VideoWriter(path, opts);
    expect(() => w.write([...synthFrames(W + 2, H, 1, 1)][0]!)).toThrow(InvalidArgumentError);
    for (const f of synthFrames(W, H, 4, 1)) w.write(f);
    w.close();
    expect(probe(path).frames).toBe(4);
  });

  async function killMidWrite(path: string, fragmented: boolean, after: number): Promise<number> {
    const child = Bun.spawn(["bun", "run", join(import.meta.dir, "writer-child.ts"), path, fragmented ? "1" : "0"], { stdout: "pipe", stderr: "pipe" });
    let seen = 0, buf = "";
    const reader = child.stdout.getReader();
    while (seen < after) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`child exited early: ${await new Response(child.stderr).text()}`);
      buf += new TextDecoder().decode(value);
      const lines = buf.split("\n");
      buf = lines.pop()!;
      if (lines.length) seen = Number(lines[lines.length - 1]);
    }
    child.kill(9);
    await child.exited;
    return seen;
  }

  test("fragmented MP4: a child killed mid-write leaves a playable file with every completed fragment", async () => {
    const path = join(dir, "frag.mp4");
    const written = await killMidWrite(path, true, 37);
    const p = probe(path);
    expect(p.frames % 5).toBe(0); // whole fragments only
    expect(p.frames).toBeGreaterThanOrEqual(35);
    expect(p.frames).toBeLessThanOrEqual(written + 5);
    expect(decodeAll(path).length).toBe(p.frames * W * H * 1.5);
  }, 120_000);

  test("non-fragmented MP4: a child killed mid-write leaves no file at the path", async () => {
    const path = join(dir, "killed.mp4");
    await killMidWrite(path, false, 12);
    expect(existsSync(path)).toBe(false);
    rmSync(path + ".part", { force: true });
  }, 120_000);
});
