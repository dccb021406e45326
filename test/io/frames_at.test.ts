/**
 * reader.framesAt: the frame nearest each timestamp, in one batch (one contiguous buffer, query order), the same
 * frames as reading each index alone; every timestamp that cannot be served (NaN, not a number, negative, past
 * the end, outside the tolerance) listed in one FrameTimestampError. Input: H.264 at 25 fps from the ffmpeg CLI.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VideoReader } from "../../src/io/reader";
import { FrameTimestampError, InvalidArgumentError, OutOfRangeError, StateError } from "../../src/core/errors";

const dir = mkdtempSync(join(tmpdir(), "av1gym-framesat-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const clip = join(dir, "clip.mp4");
const ff = Bun.spawnSync(["ffmpeg", "-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-t", "2",
  "-pix_fmt", "yuv420p", "-c:v", "libx264", "-g", "12", "-bf", "2", clip], { stderr: "pipe" });
if (ff.exitCode !== 0) throw new Error(ff.stderr.toString());

describe("framesAt", () => {
  test("nearest frames in query order, one buffer, identical to reading each frame alone; repeats decoded once", () => {
    using r = new VideoReader(clip);
    const ask = [1.0, 0.0, 0.41, 1.96, 1.0, 0.019];
    const b = r.framesAt(ask, { toleranceS: 0.02 });
    expect([...b.indices]).toEqual([25, 0, 10, 49, 25, 0]);
    expect([...b.times]).toEqual([1.0, 0, 0.4, 1.96, 1.0, 0].map((t) => r.timeOf(Math.round(t * 25))));
    expect(b.data.length).toBe(ask.length * r.frameBytes);
    using solo = new VideoReader(clip);
    b.frames.forEach((f, k) => {
      const want = solo.frame(b.indices[k]!);
      expect(f.index).toBe(b.indices[k]!);
      expect(f.pts).toBe(b.pts[k]!);
      expect(Buffer.compare(Buffer.from(f.y as Uint8Array), Buffer.from(want.y as Uint8Array))).toBe(0);
      expect(Buffer.compare(Buffer.from(f.v as Uint8Array), Buffer.from(want.v as Uint8Array))).toBe(0);
      // a view into the one buffer, at its place
      expect((f.y as Uint8Array).buffer).toBe(b.data.buffer);
      expect((f.y as Uint8Array).byteOffset).toBe(k * r.frameBytes);
    });
    expect(r.framesAt([]).data.length).toBe(0);
  });

  test("NaN, non-numbers, negative, past the end and outside the tolerance: every one listed, with the nearest frame", () => {
    using r = new VideoReader(clip);
    const last = r.timeOf(r.frameCount - 1);
    let err: unknown;
    try {
      r.framesAt([0.2, Number.NaN, -0.5, 7, Infinity, "1" as never, 0.52, 0.535], { toleranceS: 0.01 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FrameTimestampError);
    expect(err).toBeInstanceOf(OutOfRangeError);
    const p = (err as FrameTimestampError).problems;
    expect(p.map((x) => x.query)).toEqual([1, 2, 3, 4, 5, 7]);
    expect(p[0]!.reason).toBe("not a finite number");
    expect(p[1]).toMatchObject({ requested: -0.5, nearest: 0 });
    expect(p[1]!.reason).toMatch(/negative/);
    expect(p[2]).toMatchObject({ requested: 7, nearest: last });
    expect(p[3]!.reason).toBe("not a finite number");
    expect(p[4]!.reason).toBe("not a finite number");
    expect(p[5]).toMatchObject({ requested: 0.535, nearest: 0.52 });
    expect((err as Error).message).toMatch(/6 timestamp\(s\) have no frame within 0.01 s/);
    // the default tolerance is one frame duration: past the end by less than a frame is the last frame
    expect([...r.framesAt([last + 0.03]).indices]).toEqual([r.frameCount - 1]);
    expect(() => r.framesAt([last + 0.05])).toThrow(FrameTimestampError);
  });

  test("bad arguments are InvalidArgumentErrors; a closed reader is a StateError", () => {
    const r = new VideoReader(clip);
    expect(() => r.framesAt(0.5 as never)).toThrow(InvalidArgumentError);
    expect(() => r.framesAt(null as never)).toThrow(InvalidArgumentError);
    expect(() => r.framesAt([0.5], { toleranceS: -1 })).toThrow(/toleranceS must be a finite number >= 0/);
    expect(() => r.framesAt([0.5], { toleranceS: Number.NaN })).toThrow(InvalidArgumentError);
    r.close();
    expect(() => r.framesAt([0.5])).toThrow(StateError);
  });
});
