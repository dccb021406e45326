/**
 * probe / remux / concat (stream copy through libavformat), checked with ffprobe as the independent reader.
 * Inputs are made with the ffmpeg CLI: H.264 + AAC in MP4, raw Annex B, VP9 in WebM.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { concat, probe, remux } from "../../src/io/remux";
import { VideoReader } from "../../src/io/reader";
import { FileError, FormatError, InvalidArgumentError } from "../../src/core/errors";

const dir = mkdtempSync(join(tmpdir(), "av1gym-remux-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ff = (...args: string[]) => {
  const p = Bun.spawnSync(["ffmpeg", "-v", "error", "-nostdin", "-y", ...args], { stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(p.stderr.toString());
};
const ffprobe = (path: string, entries: string, stream = "v:0") =>
  Bun.spawnSync(["ffprobe", "-v", "error", "-count_frames", "-select_streams", stream, "-show_entries", entries, "-of", "json", path]).stdout.toString();
const videoFrames = (path: string) => Number(JSON.parse(ffprobe(path, "stream=nb_read_frames")).streams[0].nb_read_frames);
const framePts = (path: string): number[] =>
  JSON.parse(ffprobe(path, "frame=pts_time")).frames.map((f: { pts_time: string }) => Number(f.pts_time));
const src = (name: string, seconds: number, opts: string[] = [], audio = true, size = "160x120") => {
  const path = join(dir, name);
  ff("-f", "lavfi", "-i", `testsrc=size=${size}:rate=25`, ...(audio ? ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"] : []),
    "-t", String(seconds), "-pix_fmt", "yuv420p", "-c:v", "libx264", "-g", "25", "-bf", "2", ...(audio ? ["-c:a", "aac", "-ac", "2"] : []), ...opts, path);
  return path;
};
const a = src("a.mp4", 2), b = src("b.mp4", 1);

describe("probe", () => {
  test("container, duration, bit rate, the reader's exact video metadata and the audio streams", () => {
    const p = probe(a);
    expect(p.container).toContain("mp4");
    expect(p.duration).toBeCloseTo(2, 1);
    expect(p.bitRate).toBeGreaterThan(0);
    expect(p.video).toMatchObject({ width: 160, height: 120, frameCount: 50, codec: "h264" });
    expect(p.videoStreams[0]).toMatchObject({ codec: "h264", width: 160, height: 120, frameRate: { num: 25, den: 1 } });
    expect(p.hasAudio).toBe(true);
    expect(p.audioStreams[0]).toMatchObject({ codec: "aac", channels: 2, sampleRate: 48000, channelLayout: "stereo", sampleFormat: "fltp" });
    const silent = probe(src("silent.mp4", 1, [], false));
    expect(silent.hasAudio).toBe(false);
    expect(silent.audioStreams).toEqual([]);
  });
  test("missing, non-media and NUL paths are typed errors", () => {
    expect(() => probe(join(dir, "none.mp4"))).toThrow(FileError);
    writeFileSync(join(dir, "junk.mp4"), Buffer.alloc(5000, 7));
    expect(() => probe(join(dir, "junk.mp4"))).toThrow(FormatError);
    expect(() => probe("a\0b")).toThrow(InvalidArgumentError);
  });
});

describe("remux", () => {
  test("MP4 -> MKV -> MP4 keeps every stream, every frame and the timestamps", () => {
    const mkv = join(dir, "a.mkv"), back = join(dir, "a2.mp4");
    remux(a, mkv);
    remux(mkv, back);
    for (const f of [mkv, back]) {
      expect(videoFrames(f)).toBe(50);
      expect(probe(f).audioStreams.length).toBe(1);
    }
    // same timestamps as ffmpeg's own stream copy to the same container
    const ref = join(dir, "ff.mkv");
    ff("-i", a, "-map", "0", "-c", "copy", ref);
    expect(framePts(mkv)).toEqual(framePts(ref));
    // the decoded pictures are the same
    using r1 = new VideoReader(a), r2 = new VideoReader(back);
    for (const i of [0, 17, 49]) expect(Buffer.compare(Buffer.from(r1.frame(i).y as Uint8Array), Buffer.from(r2.frame(i).y as Uint8Array))).toBe(0);
  });
  test("raw Annex B <-> MP4; VP9 WebM -> IVF", () => {
    const h264 = join(dir, "a.h264"), mp4 = join(dir, "from-raw.mp4");
    const r = remux(a, h264); // video only: the raw container cannot hold the audio
    expect(r.packets).toBe(50);
    expect(videoFrames(h264)).toBe(50);
    remux(h264, mp4);
    expect(videoFrames(mp4)).toBe(50);
    expect(probe(mp4).videoStreams[0]!.fps).toBeCloseTo(25, 6);
    const webm = join(dir, "v.webm"), ivf = join(dir, "v.ivf");
    ff("-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-t", "1", "-c:v", "libvpx-vp9", "-deadline", "realtime", webm);
    remux(webm, ivf);
    expect(videoFrames(ivf)).toBe(25);
  });
  test("a codec the container cannot hold is refused before any file is written", () => {
    const out = join(dir, "nope.webm");
    expect(() => remux(a, out)).toThrow(/webm container cannot hold h264/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.part`)).toBe(false);
    expect(() => remux(a, join(dir, "no", "dir", "x.mkv"))).toThrow(FileError);
    expect(() => remux(a, join(dir, "x.unknownext"))).toThrow(/no container/);
    expect(() => remux(a, a)).toThrow(InvalidArgumentError);
  });
});

describe("concat", () => {
  test("stream copy: frame count the sum, timestamps strictly increasing and continuous, audio kept", () => {
    const out = join(dir, "ab.mp4");
    concat([a, b, a], out);
    expect(videoFrames(out)).toBe(125);
    const pts = framePts(out);
    for (let i = 1; i < pts.length; i++) expect(pts[i]! - pts[i - 1]!).toBeCloseTo(0.04, 6);
    expect(probe(out).audioStreams.length).toBe(1);
    // same frame count as ffmpeg's concat demuxer with -c copy
    const list = join(dir, "list.txt");
    writeFileSync(list, [a, b, a].map((f) => `file '${f}'`).join("\n"));
    const ref = join(dir, "ff-ab.mp4");
    ff("-f", "concat", "-safe", "0", "-i", list, "-c", "copy", ref);
    expect(videoFrames(out)).toBe(videoFrames(ref));
  });
  test("files a stream copy cannot join are refused, naming the file and what differs", () => {
    const c = src("c.mp4", 1, [], true, "176x144");
    expect(() => concat([a, c], join(dir, "ac.mp4"))).toThrow(/c\.mp4 .*differ in frame size/);
    const d = src("d.mp4", 1, ["-profile:v", "baseline"]);
    expect(() => concat([a, d], join(dir, "ad.mp4"))).toThrow(/extradata/);
    const noAudio = join(dir, "silent.mp4");
    expect(() => concat([a, noAudio], join(dir, "an.mp4"))).toThrow(/fewer video\/audio streams/);
    expect(() => concat([], join(dir, "e.mp4"))).toThrow(InvalidArgumentError);
    expect(() => concat([a, join(dir, "none.mp4")], join(dir, "e.mp4"))).toThrow(FileError);
    expect(existsSync(join(dir, "e.mp4"))).toBe(false);
  });

  describe("reencode: true", () => {
    // three files a stream copy cannot join, each from a real encoder: H.264 4:2:0 at 25 fps, VP9 at
    // another size and 30 fps, H.264 4:4:4 in Matroska
    const silent = src("re-silent.mp4", 2, [], false);
    const vp9 = join(dir, "re-vp9.webm");
    ff("-f", "lavfi", "-i", "testsrc=size=176x144:rate=30", "-t", "1", "-pix_fmt", "yuv420p", "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", vp9);
    const h444 = join(dir, "re-444.mkv");
    ff("-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-t", "1", "-pix_fmt", "yuv444p", "-c:v", "libx264", "-preset", "ultrafast", h444);
    const psnrY = (a: Uint8Array, b: Uint8Array) => {
      let se = 0;
      for (let i = 0; i < a.length; i++) se += (a[i]! - b[i]!) ** 2;
      return 10 * Math.log10((255 * 255) / Math.max(se / a.length, 1e-9));
    };

    test("codec, size, pixel format and frame rate differ: every frame kept in order, one stream, timestamps continuous", () => {
      expect(() => concat([silent, vp9, h444], join(dir, "mixed-copy.mp4"))).toThrow(FormatError);
      const out = join(dir, "mixed.mp4");
      const r = concat([silent, vp9, h444], out, { reencode: true });
      expect(r).toMatchObject({ frames: 50 + 30 + 25, packets: 105, codec: "libx264", width: 160, height: 120, fps: { num: 25, den: 1 } });
      const info = JSON.parse(ffprobe(out, "stream=codec_name,width,height,pix_fmt,nb_read_frames")).streams[0];
      expect(info).toMatchObject({ codec_name: "h264", width: 160, height: 120, pix_fmt: "yuv420p", nb_read_frames: "105" });
      const pts = framePts(out);
      expect(pts.length).toBe(105);
      for (let i = 1; i < pts.length; i++) expect(pts[i]! - pts[i - 1]!).toBeCloseTo(0.04, 6);
      // frames in order: each part's first, middle and last frames match their source (the VP9 part against
      // ffmpeg's own bilinear resize of it)
      const vp9Small = join(dir, "re-vp9-small.y4m");
      ff("-i", vp9, "-vf", "scale=160:120:flags=bilinear", "-pix_fmt", "yuv420p", vp9Small);
      using o = new VideoReader(out);
      for (const [file, offset] of [[silent, 0], [vp9Small, 50], [h444, 80]] as const) {
        using s = new VideoReader(file, { bitDepth: 8 });
        for (const i of [0, s.frameCount >> 1, s.frameCount - 1]) {
          const want = s.frame(i).y as Uint8Array, got = o.frame(offset + i).y as Uint8Array;
          expect(psnrY(want, got)).toBeGreaterThan(file === vp9Small ? 24 : 30);
          const far = s.frame((i + (s.frameCount >> 1)) % s.frameCount).y as Uint8Array;
          expect(psnrY(far, got)).toBeLessThan(psnrY(want, got)); // this frame, not another of the part
        }
      }
    }, 120_000);

    test("audio is refused, or dropped on request; size, frame rate and codec can be given", () => {
      expect(() => concat([a, vp9], join(dir, "aud.mp4"), { reencode: true })).toThrow(/\/a\.mp4\) has audio.*audio: "drop"/);
      expect(existsSync(join(dir, "aud.mp4"))).toBe(false);
      const out = join(dir, "dropped.mkv");
      const r = concat([a, vp9], out, { reencode: true, audio: "drop", codec: "av1", preset: 12, width: 96, height: 64, fps: { num: 30, den: 1 } });
      expect(r).toMatchObject({ frames: 80, codec: "av1", width: 96, height: 64 });
      const p = probe(out);
      expect(p.hasAudio).toBe(false);
      expect(p.video).toMatchObject({ codec: "av1", width: 96, height: 64, frameCount: 80, fps: 30 });
      const pts = framePts(out);
      // Matroska stores milliseconds: steps of 33 or 34 ms
      for (let i = 1; i < pts.length; i++) expect(Math.abs(pts[i]! - pts[i - 1]! - 1 / 30)).toBeLessThan(0.001);
    }, 120_000);

    test("bad options and unreadable inputs are typed errors that leave no output", () => {
      const out = join(dir, "bad.mp4");
      expect(() => concat([silent], out, { reencode: "yes" } as never)).toThrow(InvalidArgumentError);
      expect(() => concat([silent], out, { reencode: true, width: 100 })).toThrow(/width and height together/);
      expect(() => concat([silent], out, { reencode: true, width: 99, height: 64 })).toThrow(/must be even/);
      expect(() => concat([silent], out, { reencode: true, codec: "no-such-codec" })).toThrow(InvalidArgumentError);
      expect(() => concat([silent], out, { reencode: true, bogus: 1 } as never)).toThrow(InvalidArgumentError);
      expect(() => concat([silent, join(dir, "none.mp4")], out, { reencode: true })).toThrow(FileError);
      const text = join(dir, "text.mp4");
      writeFileSync(text, "not a video");
      expect(() => concat([silent, text], out, { reencode: true })).toThrow(FormatError);
      expect(() => concat([], out, { reencode: true })).toThrow(InvalidArgumentError);
      expect(existsSync(out)).toBe(false);
      expect(existsSync(`${out}.part`)).toBe(false);
    }, 120_000);
  });
});
