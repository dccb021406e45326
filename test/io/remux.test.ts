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
});
