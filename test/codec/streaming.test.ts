/**
 * StreamingEncoder: several streams recorded at once from the frames a robot loop has, bounded queues that
 * drop (and count) or block, failures that reach the caller, episodes finished, cancelled, or killed.
 * Files are checked with ffprobe (the independent reader).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { StreamingEncoder } from "../../src/codec/streaming";
import { allocI420 } from "../../src/core/frame";
import { InvalidArgumentError, StateError, StreamError } from "../../src/core/errors";

const dir = mkdtempSync(join(tmpdir(), "av1gym-stream-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const W = 160, H = 120;
const frames = (path: string) =>
  Number(JSON.parse(Bun.spawnSync(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of", "json", path]).stdout.toString()).streams?.[0]?.nb_read_frames ?? 0);
const rgb = (i: number, c: 3 | 4 = 3) => {
  const d = new Uint8Array(W * H * c);
  for (let p = 0; p < d.length; p++) d[p] = (p * 7 + i * 13) & 255;
  return { data: d, width: W, height: H, channels: c };
};

describe("StreamingEncoder", () => {
  test("three streams (HWC RGB, CHW float, I420): every frame in its file, stats per channel", async () => {
    const ep = join(dir, "ep1");
    await using se = new StreamingEncoder({ codec: "libx264", preset: "ultrafast", fps: { num: 30, den: 1 }, stats: { downsample: 2, quantiles: [0.5] } });
    se.startEpisode(["front", "wrist", "depth"], ep);
    const chw = new Float32Array(W * H * 3);
    chw.fill(0.5, 0, W * H); // R plane 0.5, G 0, B 0
    const yuv = allocI420(W, H);
    yuv.y.fill(80);
    yuv.u.fill(128);
    yuv.v.fill(128);
    for (let i = 0; i < 20; i++) {
      expect(se.feed("front", rgb(i))).toBe(true);
      expect(se.feed("wrist", { data: chw, width: W, height: H, channels: 3, layout: "chw" })).toBe(true);
      expect(se.feed("depth", yuv)).toBe(true);
    }
    const r = await se.finishEpisode();
    for (const k of ["front", "wrist", "depth"]) {
      expect(r[k]).toMatchObject({ frames: 20, dropped: 0, path: join(ep, `${k}.mp4`) });
      expect(r[k]!.durationS).toBeCloseTo(20 / 30, 9);
      expect(frames(r[k]!.path)).toBe(20);
    }
    const [R, G, B] = r.wrist!.stats!;
    expect(R!.mean).toBeCloseTo(128 / 255, 2);
    expect(R!.std).toBeCloseTo(0, 9);
    expect(R!.quantiles["0.5"]).toBeCloseTo(128 / 255, 9);
    expect(G!.max).toBe(0);
    expect(B!.mean).toBe(0);
    expect(r.front!.stats!.length).toBe(3);
    expect(r.depth!.stats).toBeUndefined(); // statistics are for packed frames
  }, 120_000);

  test("a full queue drops and counts (policy drop) or waits (policy block)", async () => {
    await using drop = new StreamingEncoder({ codec: "libx264", preset: "veryslow", queue: 1 });
    drop.startEpisode(["cam"], join(dir, "drop"));
    let kept = 0;
    for (let i = 0; i < 40; i++) kept += drop.feed("cam", rgb(i)) ? 1 : 0;
    expect(drop.dropped().cam).toBe(40 - kept);
    expect(drop.dropped().cam).toBeGreaterThan(0);
    const r = await drop.finishEpisode();
    expect(r.cam).toMatchObject({ frames: kept, dropped: 40 - kept });
    expect(frames(r.cam!.path)).toBe(kept);

    await using block = new StreamingEncoder({ codec: "libx264", preset: "veryslow", queue: 1, policy: "block" });
    block.startEpisode(["cam"], join(dir, "block"));
    for (let i = 0; i < 15; i++) expect(block.feed("cam", rgb(i))).toBe(true);
    const b = await block.finishEpisode();
    expect(b.cam).toMatchObject({ frames: 15, dropped: 0 });
  }, 120_000);

  test("frames keep their order while the queue deepens (new slots reach the worker between queued frames)", async () => {
    // policy block and a slow preset: the queue fills, so slots are added while the worker still has frames
    // queued in the ring; each frame's flat luma says which frame it is (x264 at crf 0 is lossless). Queue 12:
    // feed() wakes the worker every 3 frames (a quarter of the queue), so slots also arrive between batches.
    await using se = new StreamingEncoder({ codec: "libx264", preset: "veryslow", quality: { crf: 0 }, queue: 12, policy: "block" });
    se.startEpisode(["cam"], join(dir, "order"));
    const n = 24;
    for (let i = 0; i < n; i++) {
      const f = allocI420(W, H);
      f.y.fill(16 + 8 * i);
      f.u.fill(128);
      f.v.fill(128);
      expect(se.feed("cam", f)).toBe(true);
    }
    const r = await se.finishEpisode();
    expect(r.cam).toMatchObject({ frames: n, dropped: 0 });
    const yuv = Bun.spawnSync(["ffmpeg", "-v", "error", "-i", r.cam!.path, "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"]).stdout;
    const size = (W * H * 3) / 2;
    const lumas = Array.from({ length: yuv.length / size }, (_, i) => yuv[i * size + (W * H) / 2]);
    expect(lumas).toEqual(Array.from({ length: n }, (_, i) => 16 + 8 * i));
  }, 120_000);

  test("bad feeds are typed errors; a failed encoder makes the next feed throw, even in a synchronous loop", async () => {
    await using se = new StreamingEncoder({ codec: "libx264", preset: "no-such-preset" });
    expect(() => se.feed("a", rgb(0))).toThrow(StateError);
    se.startEpisode(["a", "b"], join(dir, "bad"));
    expect(() => se.feed("zzz", rgb(0))).toThrow(/unknown stream key "zzz"/);
    expect(() => se.feed("a", { data: new Uint8Array(10), width: W, height: H, channels: 3 })).toThrow(InvalidArgumentError);
    expect(() => se.feed("a", { data: new Uint8Array(W * H * 2), width: W, height: H, channels: 2 as 3 })).toThrow(/channels must be 3/);
    se.feed("a", rgb(0));
    // the worker fails on the first frame (x264 refuses the preset); no await: a synchronous loop sees it
    let thrown: unknown;
    const until = performance.now() + 60_000;
    while (!thrown && performance.now() < until) {
      try {
        se.feed("a", rgb(1));
      } catch (e) {
        thrown = e;
      }
      Bun.sleepSync(5);
    }
    expect(thrown).toBeInstanceOf(StreamError);
    expect((thrown as Error).message).toContain("no-such-preset");
    expect(() => se.feed("b", { ...rgb(0), width: 80, height: 60, data: new Uint8Array(80 * 60 * 3) })).not.toThrow();
    expect(() => se.feed("b", rgb(0))).toThrow(/takes u8 80x60x3 hwc frames/);
    await expect(se.finishEpisode()).rejects.toThrow(StreamError);
    expect(() => se.feed("a", rgb(0))).toThrow(StateError);
  }, 120_000);

  test("cancelEpisode removes the partial files; close cancels; a vanished directory is reported", async () => {
    const ep = join(dir, "cancel");
    const se = new StreamingEncoder({ codec: "libx264", preset: "ultrafast" });
    se.startEpisode(["a"], ep);
    for (let i = 0; i < 5; i++) se.feed("a", rgb(i));
    await se.cancelEpisode();
    expect(readdirSync(ep)).toEqual([]);
    expect(() => se.feed("a", rgb(0))).toThrow(/no episode is open/); // feed after cancel
    await expect(se.finishEpisode()).rejects.toThrow(StateError);
    se.startEpisode(["a"], ep);
    se.feed("a", rgb(0));
    await se.close();
    await se.close();
    expect(readdirSync(ep)).toEqual([]);
    expect(() => se.startEpisode(["a"], ep)).toThrow(StateError);
    expect(() => se.feed("a", rgb(0))).toThrow(/closed/); // feed after close
    await expect(se.finishEpisode()).rejects.toThrow(StateError);
    await expect(se.cancelEpisode()).rejects.toThrow(StateError);

    const gone = join(dir, "gone");
    await using se2 = new StreamingEncoder({ codec: "libx264", preset: "ultrafast" });
    se2.startEpisode(["a"], gone);
    for (let i = 0; i < 5; i++) se2.feed("a", rgb(i));
    rmSync(gone, { recursive: true, force: true });
    await expect(se2.finishEpisode()).rejects.toThrow(StreamError);
    expect(existsSync(join(gone, "a.mp4"))).toBe(false);
  }, 120_000);

  test("workers and their frame slots serve the next episode: frames of another size arrive intact", async () => {
    await using se = new StreamingEncoder({ codec: "libx264", preset: "ultrafast", quality: { crf: 0 }, policy: "block", queue: 4 });
    const lumas = (path: string) =>
      Bun.spawnSync(["ffmpeg", "-v", "error", "-i", path, "-vf", "signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-", "-f", "null", "-"])
        .stdout.toString().split("\n").filter((l) => l.includes("YAVG")).map((l) => Number(l.split("=")[1]));
    for (const [ep, w, h] of [["reuse1", W, H], ["reuse2", 96, 64], ["reuse3", W, H]] as const) {
      se.startEpisode(["cam"], join(dir, ep));
      const d = new Uint8Array(w * h * 3);
      // grey levels the encoder cannot confuse: BT.601 limited range luma 16 + 219 v / 255
      for (let i = 0; i < 12; i++) expect(se.feed("cam", { data: d.fill(10 + 20 * i), width: w, height: h, channels: 3 })).toBe(true);
      const r = await se.finishEpisode();
      const y = lumas(r.cam!.path);
      expect(y.length).toBe(12);
      y.forEach((v, i) => expect(Math.abs(v - (16 + (219 * (10 + 20 * i)) / 255))).toBeLessThan(1.5));
    }
  }, 120_000);

  test("an idle recorder (episode finished, close() forgotten) does not keep the process alive", () => {
    const script = `
      import { StreamingEncoder } from ${JSON.stringify(resolve(import.meta.dir, "../../src/codec/streaming.ts"))};
      const se = new StreamingEncoder({ codec: "libx264", preset: "ultrafast" });
      se.startEpisode(["cam"], ${JSON.stringify(join(dir, "idle"))});
      se.feed("cam", { data: new Uint8Array(${W * H * 3}), width: ${W}, height: ${H}, channels: 3 });
      const r = await se.finishEpisode();
      console.log("finished", r.cam.frames);`;
    const p = Bun.spawnSync(["bun", "-e", script], { timeout: 60_000 });
    expect(p.stdout.toString()).toContain("finished 1");
    expect(p.exitCode).toBe(0);
  }, 120_000);

  test("a disk that fills mid-episode: the next feed throws a StreamError with the cause; finished episodes are intact", () => {
    // A file-size limit (SIGXFSZ ignored) fails writes the way a full disk does, at a known size.
    const ep = join(dir, "full");
    const script = `
      import { StreamingEncoder } from ${JSON.stringify(resolve(import.meta.dir, "../../src/codec/streaming.ts"))};
      const se = new StreamingEncoder({ codec: "libx264", preset: "ultrafast", policy: "block", fragmented: { frames: 5 } });
      const W = ${W}, H = ${H};
      se.startEpisode(["cam"], ${JSON.stringify(join(ep, "1"))});
      for (let i = 0; i < 10; i++) se.feed("cam", { data: new Uint8Array(W * H * 3).fill(i * 9), width: W, height: H, channels: 3 });
      const first = await se.finishEpisode();
      se.startEpisode(["cam"], ${JSON.stringify(join(ep, "2"))});
      let n = 0, err = null;
      const noise = new Uint8Array(W * H * 3);
      for (; n < 3000 && !err; n++) {
        for (let p = 0; p < noise.length; p++) noise[p] = (Math.random() * 256) | 0;
        try { se.feed("cam", { data: noise, width: W, height: H, channels: 3 }); } catch (e) { err = e.constructor.name + ": " + e.message; }
        await Bun.sleep(1);
      }
      let fin = null;
      try { await se.finishEpisode(); } catch (e) { fin = e.constructor.name; }
      await se.close();
      console.log(JSON.stringify({ first: first.cam, n, err, fin }));`;
    const p = Bun.spawnSync(["bash", "-c", `ulimit -f 256; trap '' XFSZ; exec bun -e "$0"`, script], { stdout: "pipe", stderr: "pipe", timeout: 100_000 });
    expect(p.exitCode, p.stderr.toString()).toBe(0);
    const r = JSON.parse(p.stdout.toString().trim().split("\n").at(-1)!);
    expect(r.err).toMatch(/^StreamError: stream cam: the encoder failed: .*File too large/);
    expect(r.n).toBeLessThan(3000);
    expect(r.fin).toBe("StreamError");
    expect(r.first).toMatchObject({ frames: 10, dropped: 0 });
    expect(frames(r.first.path)).toBe(10); // the finished episode is untouched
  }, 120_000);

  test("fragmented MP4: a process killed mid-episode leaves every completed fragment playable", async () => {
    const ep = join(dir, "killed");
    const script = `
      import { StreamingEncoder } from ${JSON.stringify(resolve(import.meta.dir, "../../src/codec/streaming.ts"))};
      const se = new StreamingEncoder({ codec: "libx264", preset: "ultrafast", fragmented: { frames: 10 }, policy: "block" });
      se.startEpisode(["cam"], ${JSON.stringify(ep)});
      const d = new Uint8Array(${W * H * 3});
      for (let i = 0; ; i++) {
        for (let p = 0; p < d.length; p += 61) d[p] = (p + i) & 255;
        se.feed("cam", { data: d, width: ${W}, height: ${H}, channels: 3 });
        if (i === 45) console.log("fed");
        await Bun.sleep(2);
      }`;
    const p = Bun.spawn(["bun", "-e", script], { stdout: "pipe", stderr: "pipe" });
    const reader = p.stdout.getReader();
    let out = "";
    while (!out.includes("fed")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    await Bun.sleep(500);
    p.kill("SIGKILL");
    await p.exited;
    const n = frames(join(ep, "cam.mp4"));
    expect(n).toBeGreaterThanOrEqual(30);
    expect(n % 10).toBe(0);
  }, 120_000);
});
