import { describe, expect, test } from "bun:test";
import { ANALYSIS_FEATURES, FEATURE, analyzeFrame, superblockSse, superblockGrid } from "../../src/analysis/analysis";
import { SynthSource, synthFrames } from "../../src/io/synth";
import { allocI420, type I420Frame } from "../../src/core/frame";
import { InvalidArgumentError } from "../../src/core/errors";
import { join } from "node:path";

const F = ANALYSIS_FEATURES.length;
const at = (d: Float32Array, cols: number, r: number, c: number, f: number) => d[(r * cols + c) * F + f]!;

/** Deterministic textured luma (smoothed noise), so block matching has a unique answer. */
function textured(w: number, h: number, seed: number): I420Frame {
  const f = allocI420(w, h);
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24);
  const raw = new Uint8Array(w * h).map(() => rnd());
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const a = raw[y * w + x]!, b = raw[y * w + Math.min(w - 1, x + 1)]!, c = raw[Math.min(h - 1, y + 1) * w + x]!;
      f.y[y * w + x] = (a + b + c) / 3;
    }
  f.u.fill(128);
  f.v.fill(128);
  return f;
}

/** cur(x, y) = prev(x - dx, y - dy): content moved by (dx, dy); edge samples are clamped. */
function shifted(src: I420Frame, dx: number, dy: number): I420Frame {
  const { width: w, height: h } = src;
  const f = allocI420(w, h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const sx = Math.min(w - 1, Math.max(0, x - dx)), sy = Math.min(h - 1, Math.max(0, y - dy));
      f.y[y * w + x] = src.y[sy * w + sx]!;
    }
  f.u.fill(128);
  f.v.fill(128);
  return f;
}

describe("analyzeFrame", () => {
  test("layout: [rows, cols, features] with named indices", () => {
    const a = analyzeFrame(allocI420(200, 130), null);
    expect([a.rows, a.cols]).toEqual([3, 4]);
    expect(a.features).toEqual(["meanLuma", "lumaVariance", "temporalMad", "mvX", "mvY", "mcMad", "gradient"]);
    expect(a.data.length).toBe(3 * 4 * F);
    expect(FEATURE.mvY).toBe(4);
    expect(superblockGrid(64, 64)).toEqual({ cols: 1, rows: 1 });
  });

  test("flat frame: variance and gradient 0, mean = the value", () => {
    const f = allocI420(192, 128);
    f.y.fill(77);
    const a = analyzeFrame(f, null);
    for (let r = 0; r < a.rows; r++)
      for (let c = 0; c < a.cols; c++) {
        expect(at(a.data, a.cols, r, c, FEATURE.meanLuma)).toBe(77);
        expect(at(a.data, a.cols, r, c, FEATURE.lumaVariance)).toBe(0);
        expect(at(a.data, a.cols, r, c, FEATURE.gradient)).toBe(0);
        expect(at(a.data, a.cols, r, c, FEATURE.temporalMad)).toBe(0);
      }
  });

  test("identical frames: MAD 0, zero motion", () => {
    const f = textured(256, 192, 3);
    const a = analyzeFrame(f, f);
    for (let i = 0; i < a.rows * a.cols; i++) {
      expect(a.data[i * F + FEATURE.temporalMad]).toBe(0);
      expect(a.data[i * F + FEATURE.mvX]).toBe(0);
      expect(a.data[i * F + FEATURE.mvY]).toBe(0);
      expect(a.data[i * F + FEATURE.mcMad]).toBe(0);
      expect(a.data[i * F + FEATURE.lumaVariance]).toBeGreaterThan(100);
    }
  });

  for (const [dx, dy] of [
    [5, -3],
    [12, 7],
    [-20, 16],
    [31, -2],
  ] as const)
    test(`a frame shifted by (${dx}, ${dy}) gives that motion on textured content`, () => {
      const prev = textured(384, 320, 7);
      const cur = shifted(prev, dx, dy);
      const a = analyzeFrame(cur, prev);
      // interior superblocks (their source block is inside the frame) must be exact
      let exact = 0, interior = 0;
      for (let r = 1; r < a.rows - 1; r++)
        for (let c = 1; c < a.cols - 1; c++) {
          interior++;
          const mx = at(a.data, a.cols, r, c, FEATURE.mvX), my = at(a.data, a.cols, r, c, FEATURE.mvY);
          if (mx === dx && my === dy) exact++;
          expect(Math.abs(mx - dx) + Math.abs(my - dy)).toBeLessThanOrEqual(1);
        }
      expect(exact / interior).toBeGreaterThan(0.9);
      expect(at(a.data, a.cols, 2, 2, FEATURE.mcMad)).toBe(0);
      expect(at(a.data, a.cols, 2, 2, FEATURE.temporalMad)).toBeGreaterThan(5);
    });

  test("partial superblocks are measured over the valid area", () => {
    // 100x70: the right column holds 36 samples, the bottom row 6
    const f = allocI420(100, 70);
    for (let y = 0; y < 70; y++) for (let x = 0; x < 100; x++) f.y[y * 100 + x] = x < 64 ? 10 : 200;
    const a = analyzeFrame(f, null);
    expect([a.rows, a.cols]).toEqual([2, 2]);
    expect(at(a.data, 2, 0, 0, FEATURE.meanLuma)).toBe(10);
    expect(at(a.data, 2, 0, 1, FEATURE.meanLuma)).toBe(200);
    expect(at(a.data, 2, 1, 1, FEATURE.meanLuma)).toBe(200);
    expect(at(a.data, 2, 1, 1, FEATURE.lumaVariance)).toBe(0);
    // the left block sees the 10 -> 200 step at its right edge: 190 per row over 64x64 samples
    expect(at(a.data, 2, 0, 0, FEATURE.gradient)).toBeCloseTo((190 * 64) / 4096, 5);
  });

  test("variance in (8-bit units)^2 and gradient of a known pattern", () => {
    const f = allocI420(64, 64);
    for (let i = 0; i < 64 * 64; i++) f.y[i] = (i % 64) % 2 ? 110 : 90; // columns alternate 90/110
    const a = analyzeFrame(f, null);
    expect(a.data[FEATURE.meanLuma]).toBe(100);
    expect(a.data[FEATURE.lumaVariance]).toBe(100);
    expect(a.data[FEATURE.gradient]).toBeCloseTo((20 * 63 * 64) / 4096, 5);
  });

  test("bad input is InvalidArgumentError", () => {
    expect(() => analyzeFrame(allocI420(64, 64), allocI420(66, 64))).toThrow(InvalidArgumentError);
    expect(() => analyzeFrame(allocI420(64, 64, 10), allocI420(64, 64, 8))).toThrow("bit depth 8, expected 10");
    expect(() => analyzeFrame(allocI420(128, 64), null, new Float32Array(3))).toThrow("at least 14");
  });
});

test("10-bit frames are analysed in 8-bit units", () => {
  const [a8, b8] = [...synthFrames(192, 128, 2, 9)];
  const to10 = (f: I420Frame): I420Frame => {
    const g = allocI420(f.width, f.height, 10);
    g.y.set(Array.from(f.y, (v) => v * 4 + 1)); // low bits that round away
    g.u.set(Array.from(f.u, (v) => v * 4));
    g.v.set(Array.from(f.v, (v) => v * 4));
    return g;
  };
  const a = analyzeFrame(b8!, a8!);
  const b = analyzeFrame(to10(b8!), to10(a8!));
  expect(Array.from(b.data)).toEqual(Array.from(a.data));
  const s8 = superblockSse(a8!, b8!);
  const s10 = superblockSse(to10(a8!), to10(b8!));
  expect(s10.y).toBe(s8.y * 16);
  expect(s10.u).toBe(s8.u * 16);
});

test("the SSE2 and AVX2 SAD kernels give the same analysis (subprocess with AV1GYM_NO_AVX2)", () => {
  const code = `
    import { analyzeFrame } from "./src/analysis/analysis";
    import { synthFrames } from "./src/io/synth";
    const [a, b] = [...synthFrames(330, 200, 2, 4)];
    console.log(JSON.stringify(Array.from(analyzeFrame(b, a).data)));
  `;
  const run = (env: Record<string, string>) =>
    Bun.spawnSync(["bun", "-e", code], { cwd: join(import.meta.dir, "..", ".."), env: { ...process.env, ...env } }).stdout.toString();
  const sse2 = JSON.parse(run({ AV1GYM_NO_AVX2: "1" }));
  const [a, b] = [...synthFrames(330, 200, 2, 4)];
  expect(sse2).toEqual(Array.from(analyzeFrame(b!, a!).data));
});

describe("superblockSse", () => {
  test("zero for identical frames; per-superblock values sum to the plane SSE", () => {
    const [a, b] = [...synthFrames(200, 130, 2, 5)];
    const same = superblockSse(a!, a!);
    expect([same.y, same.u, same.v]).toEqual([0, 0, 0]);
    const s = superblockSse(a!, b!);
    expect(s.superblocks.length).toBe(12);
    expect(s.superblocks.reduce((x, y) => x + y, 0)).toBe(s.y);
    let y = 0, u = 0;
    for (let i = 0; i < a!.y.length; i++) y += (a!.y[i]! - b!.y[i]!) ** 2;
    for (let i = 0; i < a!.u.length; i++) u += (a!.u[i]! - b!.u[i]!) ** 2;
    expect(s.y).toBe(y);
    expect(s.u).toBe(u);
  });

  test("a difference in one superblock lands in that superblock", () => {
    const a = allocI420(130, 70);
    const b = allocI420(130, 70);
    b.y[65 * 130 + 129] = 9; // row 1, col 2 (a partial superblock)
    b.v[3] = 2;
    const s = superblockSse(a, b);
    expect(Array.from(s.superblocks)).toEqual([0, 0, 0, 0, 0, 81]);
    expect([s.y, s.u, s.v]).toEqual([81, 0, 4]);
  });
});

describe("synthFrames", () => {
  test("is deterministic per seed, moves, and has texture", () => {
    const a = [...synthFrames(160, 96, 3, 42)];
    const b = [...synthFrames(160, 96, 3, 42)];
    const c = [...synthFrames(160, 96, 3, 43)];
    expect(Buffer.compare(Buffer.from(a[2]!.y), Buffer.from(b[2]!.y))).toBe(0);
    expect(Buffer.compare(Buffer.from(a[2]!.y), Buffer.from(c[2]!.y))).not.toBe(0);
    expect(Buffer.compare(Buffer.from(a[0]!.y), Buffer.from(a[1]!.y))).not.toBe(0);
    const an = analyzeFrame(a[1]!, a[0]!);
    let moving = 0;
    for (let i = 0; i < an.rows * an.cols; i++) {
      expect(an.data[i * F + FEATURE.lumaVariance]).toBeGreaterThan(10);
      if (an.data[i * F + FEATURE.mvX] !== 0 || an.data[i * F + FEATURE.mvY] !== 0) moving++;
    }
    expect(moving).toBeGreaterThan(0);
    expect(new SynthSource(160, 96, 42).frame(2).y).toEqual(a[2]!.y);
    expect(() => synthFrames(160, 96, -1)).toThrow(InvalidArgumentError);
  });
});
