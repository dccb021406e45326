/** VideoReader.frames({ ahead }): the same frames as sequential decoding, bit for bit, from another thread. */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VideoReader } from "../../src/io/reader";
import { FormatError, InvalidArgumentError } from "../../src/core/errors";

const dir = mkdtempSync(join(tmpdir(), "av1gym-ahead-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const clip = join(dir, "clip.mp4");
Bun.spawnSync(["ffmpeg", "-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "4", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-g", "30", "-bf", "2", clip]);

test("bit-exact with sequential decoding, in order, with timing; stats count what happened", () => {
  using r = new VideoReader(clip);
  const seq = [...r.frames({ start: 5, end: 90 })];
  for (const reuse of [false, true]) {
    const it = r.frames({ start: 5, end: 90, ahead: 6, reuse });
    let k = 0;
    for (const f of it) {
      const want = seq[k++]!;
      expect(f.index).toBe(want.index);
      expect(f.time).toBe(want.time);
      expect(Buffer.compare(Buffer.from(f.y as Uint8Array), Buffer.from(want.y as Uint8Array))).toBe(0);
      expect(Buffer.compare(Buffer.from(f.v as Uint8Array), Buffer.from(want.v as Uint8Array))).toBe(0);
    }
    expect(k).toBe(85);
    const s = it.stats();
    expect(s).toMatchObject({ decoded: 85, delivered: 85 });
    expect(s.maxDepth).toBeGreaterThanOrEqual(1);
    expect(s.maxDepth).toBeLessThanOrEqual(6);
    expect(s.waitedMs).toBeGreaterThanOrEqual(0);
  }
  // rgb24 too
  using rgb = new VideoReader(clip, { format: "rgb24" });
  const a = [...rgb.frames({ end: 10 })], b = [...rgb.frames({ end: 10, ahead: 3 })];
  a.forEach((f, i) => expect(Buffer.compare(Buffer.from(f.data), Buffer.from(b[i]!.data))).toBe(0));
}, 120_000);

test("stopping early frees the thread; bad values and a vanished file are typed errors", () => {
  using r = new VideoReader(clip);
  const it = r.frames({ ahead: 4 });
  let n = 0;
  for (const _ of it) if (++n === 3) break;
  expect(it.stats().delivered).toBe(3);
  expect(() => r.frames({ ahead: 0 })).toThrow(InvalidArgumentError);
  expect(() => r.frames({ ahead: 2.5 })).toThrow(InvalidArgumentError);
  // the decoding thread opens the file again: gone, it reports that instead of hanging
  const gone = join(dir, "gone.mp4");
  Bun.spawnSync(["cp", clip, gone]);
  using g = new VideoReader(gone);
  unlinkSync(gone);
  expect(() => [...g.frames({ ahead: 4 })]).toThrow(FormatError);
}, 120_000);
