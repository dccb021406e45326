import { afterAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openYuvFile } from "../../src/io/yuv_file";
import { VideoReader } from "../../src/io/reader";
import { describeShared, sharedPath } from "../helpers/shared";

const dir = mkdtempSync(join(tmpdir(), "av1gym-yuvfile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RAW = new Set([".yuv", ".raw"]);
/** Every frame of both readers, plane by plane. */
function expectSameFrames(path: string, o: { width?: number; height?: number; pixelFormat?: string } = {}) {
  const raw = RAW.has(path.slice(path.lastIndexOf(".")));
  const f = openYuvFile(path, { raw, ...o });
  expect(f).not.toBeNull();
  const r = raw ? new VideoReader(path, o) : new VideoReader(path);
  try {
    expect([f!.width, f!.height, f!.bitDepth, f!.frameCount]).toEqual([r.width, r.height, r.metadata.outputBitDepth, r.frameCount]);
    const it = r.frames({ reuse: true });
    let n = 0;
    for (const a of f!.frames()) {
      const b = it.next().value!;
      for (const p of ["y", "u", "v"] as const) expect(Buffer.from(a[p].buffer, a[p].byteOffset, a[p].byteLength).equals(Buffer.from(b[p].buffer, b[p].byteOffset, b[p].byteLength))).toBe(true);
      expect([a.strideY, a.strideU, a.strideV]).toEqual([b.strideY, b.strideU, b.strideV]);
      n++;
    }
    expect(n).toBe(r.frameCount);
  } finally {
    f!.close();
    r.close();
  }
}

const ffmpeg = (args: string[]) => {
  const r = spawnSync("ffmpeg", ["-v", "error", "-y", ...args]);
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(" ")}: ${r.stderr}`);
};

describeShared("YuvFile reads what VideoReader reads, without the native library", () => {
  test("raw yuv420p, 8-bit", () => expectSameFrames(sharedPath("clips", "src01_160x90_48f.yuv"), { width: 160, height: 90 }));
  test("raw yuv420p10le", () =>
    expectSameFrames(sharedPath("clips", "src01_576x324_3f_yuv420p10le.yuv"), { width: 576, height: 324, pixelFormat: "yuv420p10le" }));
  test("Y4M 4:2:0 8-bit (with X parameters in the header)", () => expectSameFrames(sharedPath("clips", "parkjoy_480x270_10f.y4m")));
  test("Y4M 4:2:0 10-bit and an odd size (made with the ffmpeg CLI)", () => {
    const p10 = join(dir, "p10.y4m"), odd = join(dir, "odd.y4m");
    ffmpeg(["-s", "576x324", "-pix_fmt", "yuv420p10le", "-f", "rawvideo", "-i", sharedPath("clips", "src01_576x324_3f_yuv420p10le.yuv"), "-strict", "-1", p10]);
    expect(readFileSync(p10).subarray(0, 60).toString("latin1")).toContain("C420p10");
    expectSameFrames(p10);
    ffmpeg(["-i", sharedPath("clips", "parkjoy_480x270_10f.y4m"), "-vf", "crop=479:269:0:0", "-pix_fmt", "yuv420p", odd]);
    expectSameFrames(odd);
  });
  test("what it does not read exactly is left to VideoReader (null)", () => {
    const yuv = sharedPath("clips", "src01_160x90_48f.yuv");
    expect(openYuvFile(yuv, { raw: true, width: 160, height: 91 })).toBeNull(); // not a whole number of frames
    expect(openYuvFile(yuv, { raw: true, width: 160, height: 90, pixelFormat: "nv12" })).toBeNull();
    expect(openYuvFile(sharedPath("clips", "bikes_640x272_250f.mp4"), { raw: false })).toBeNull();
    expect(openYuvFile(join(dir, "missing.y4m"), { raw: false })).toBeNull();
    const c444 = join(dir, "c444.y4m");
    ffmpeg(["-i", sharedPath("clips", "parkjoy_480x270_10f.y4m"), "-frames:v", "2", "-pix_fmt", "yuv444p", c444]);
    expect(openYuvFile(c444, { raw: false })).toBeNull();
    const junk = join(dir, "junk.y4m");
    writeFileSync(junk, "not a y4m file\n");
    expect(openYuvFile(junk, { raw: false })).toBeNull();
  });
  test("lumaOnly reads the luma plane alone", () => {
    const path = sharedPath("clips", "src01_160x90_48f.yuv");
    const f = openYuvFile(path, { raw: true, width: 160, height: 90 })!;
    const r = new VideoReader(path, { width: 160, height: 90 });
    try {
      const it = r.frames({ reuse: true });
      for (const a of f.frames(48, true)) {
        const b = it.next().value!;
        expect(Buffer.from(a.y as Uint8Array).equals(Buffer.from(b.y as Uint8Array))).toBe(true);
        expect(a.u.every((x) => x === 0) && a.v.every((x) => x === 0)).toBe(true);
      }
    } finally {
      f.close();
      r.close();
    }
  });
  test("a frame without its FRAME marker is a FormatError", () => {
    const bad = join(dir, "bad.y4m");
    const data = readFileSync(sharedPath("clips", "parkjoy_480x270_10f.y4m"));
    const second = data.indexOf("FRAME\n", data.indexOf("FRAME\n") + 1);
    data.write("FRAMX\n", second, "latin1");
    writeFileSync(bad, data);
    const f = openYuvFile(bad, { raw: false })!;
    try {
      expect(() => [...f.frames()]).toThrow("frame 1 does not start with a Y4M FRAME marker");
    } finally {
      f.close();
    }
  });
});
