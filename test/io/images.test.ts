import { describe, expect, test, beforeAll, afterAll } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeImages, listImages } from "../../src/io/images";
import { FileError, InvalidArgumentError } from "../../src/core/errors";
import { probe } from "../helpers/media";

let dir = "";
const ff = (...a: string[]) => {
  const p = Bun.spawnSync(["ffmpeg", "-v", "error", "-y", ...a]);
  if (p.exitCode !== 0) throw new Error(p.stderr.toString());
};
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "av1gym-img-"));
  mkdirSync(join(dir, "png"));
  // 12 numbered frames, unpadded (frame_2 must sort before frame_10)
  ff("-f", "lavfi", "-i", "testsrc=size=160x96:rate=10", "-frames:v", "12", "-start_number", "1", join(dir, "png", "frame_%d.png"));
  mkdirSync(join(dir, "jpg"));
  ff("-f", "lavfi", "-i", "testsrc=size=160x96:rate=10", "-frames:v", "5", join(dir, "jpg", "shot%03d.jpg"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("encodeImages", () => {
  test("a directory, a %d pattern and a glob, in frame-number order", () => {
    const files = listImages(join(dir, "png"));
    expect(files.map((f) => f.split("frame_")[1])).toEqual(Array.from({ length: 12 }, (_, i) => `${i + 1}.png`));
    const out = join(dir, "dir.mp4");
    expect(encodeImages(join(dir, "png"), out, { codec: "libx264", fps: { num: 10, den: 1 }, preset: "ultrafast" })).toBe(12);
    const p = probe(out);
    expect([p.frames, p.rate, p.duration]).toEqual([12, "10/1", 1.2]);
    expect(encodeImages(join(dir, "jpg", "shot%03d.jpg"), join(dir, "pat.mkv"), { codec: "libx264", preset: "ultrafast" })).toBe(5);
    expect(encodeImages(join(dir, "jpg", "*.jpg"), join(dir, "glob.webm"), { codec: "libvpx-vp9", preset: 8 })).toBe(5);
    expect(probe(join(dir, "glob.webm")).frames).toBe(5);
  }, 120_000);

  test("a frame of another size names the first odd one, and no output is left", () => {
    const odd = join(dir, "odd");
    mkdirSync(odd);
    ff("-f", "lavfi", "-i", "testsrc=size=160x96:rate=10", "-frames:v", "4", join(odd, "f%d.png"));
    ff("-f", "lavfi", "-i", "testsrc=size=176x144:rate=10", "-frames:v", "1", join(odd, "big.png"));
    renameSync(join(odd, "big.png"), join(odd, "f3.png"));
    const out = join(dir, "odd.mp4");
    expect(() => encodeImages(odd, out, { codec: "libx264", preset: "ultrafast" })).toThrow(/f3\.png is 176x144, the first frame .* is 160x96/);
    expect(() => encodeImages(odd, out, { codec: "libx264" })).toThrow(InvalidArgumentError);
    expect(existsSync(out) || existsSync(out + ".part")).toBe(false);
  });

  test("nothing to encode: FileError", () => {
    expect(() => encodeImages(join(dir, "nope"), join(dir, "x.mp4"), { codec: "libx264" })).toThrow(FileError);
    expect(() => encodeImages(join(dir, "png", "*.tiff"), join(dir, "x.mp4"), { codec: "libx264" })).toThrow(/no PNG\/JPEG frames/);
  });
});
