/** The Env's pure parts: RNG, spaces, action checking, reward math, SSIM. No encoder needed. */
import { describe, expect, test } from "bun:test";
import { Rng } from "../../src/core/rng";
import { Box, Dict, Discrete, MultiDiscrete } from "../../src/env/spaces";
import { decodeAction, levelsToOffsets, DEFAULT_ACTION_LEVELS } from "../../src/env/actions";
import { MSE, PSNR, makeSsimBox8, rewardFromCost, rdCost, bitsPerPixel, distortionByName } from "../../src/env/reward";
import { psnrCap, psnrFromMse, psnrFromSse } from "../../src/metrics/psnr_math";
import { psnr, ssim as libvmafSsim } from "../../src/metrics/metrics";
import { InvalidArgumentError, EpisodeEndedError, Av1GymError } from "../../src/core/errors";
import { allocI420 } from "../../src/core/frame";
import { ssimBox8 } from "../../src/env/ssim_box8";

describe("Rng", () => {
  test("same seed gives the same stream; different seeds differ", () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 100 }, () => a.uint32());
    const sb = Array.from({ length: 100 }, () => b.uint32());
    const sc = Array.from({ length: 100 }, () => c.uint32());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
    // Seeds that differ only in the high 32 bits differ too.
    expect(new Rng(2 ** 40).uint32()).not.toBe(new Rng(0).uint32());
  });

  test("float is uniform in [0,1), int(n) covers 0..n-1 evenly, normal has mean 0 and variance 1", () => {
    const r = new Rng(7);
    const N = 50000;
    let sum = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < N; i++) {
      const f = r.float();
      sum += f;
      min = Math.min(min, f);
      max = Math.max(max, f);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(Math.abs(sum / N - 0.5)).toBeLessThan(0.01);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < N; i++) counts[r.int(7)]++;
    for (const c of counts) expect(Math.abs(c / N - 1 / 7)).toBeLessThan(0.01);
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < N; i++) {
      const x = r.normal();
      s1 += x;
      s2 += x * x;
    }
    expect(Math.abs(s1 / N)).toBeLessThan(0.03);
    expect(Math.abs(s2 / N - 1)).toBeLessThan(0.05);
  });

  test("bad arguments are typed errors", () => {
    expect(() => new Rng(1.5)).toThrow(InvalidArgumentError);
    expect(() => new Rng(0).int(0)).toThrow(InvalidArgumentError);
    expect(() => new Rng(0).int(2.5)).toThrow(InvalidArgumentError);
  });
});

describe("spaces", () => {
  test("MultiDiscrete samples what it contains, and rejects wrong values", () => {
    const s = new MultiDiscrete(new Array(6).fill(7), [2, 3]);
    expect(s.shape).toEqual([2, 3]);
    const r = new Rng(1);
    for (let i = 0; i < 50; i++) expect(s.contains(s.sample(r))).toBe(true);
    expect(s.contains([0, 1, 2, 3, 4, 5])).toBe(true);
    expect(s.contains(new Uint8Array([0, 1, 2, 3, 4, 6]))).toBe(true);
    expect(s.contains([0, 1, 2, 3, 4, 7])).toBe(false);
    expect(s.contains([0, 1, 2, 3, 4])).toBe(false);
    expect(s.contains([0, 1, 2, 3, 4, 0.5])).toBe(false);
    expect(s.contains(new Float32Array(6))).toBe(false);
    expect(s.contains("abc")).toBe(false);
    expect(s.sample(new Rng(5))).toEqual(s.sample(new Rng(5)));
  });

  test("Box bounds, dtype and sampling of unbounded sides", () => {
    const b = new Box({ low: [0, -1, -Infinity], high: [1, Infinity, Infinity], shape: [3] });
    const r = new Rng(3);
    for (let i = 0; i < 100; i++) expect(b.contains(b.sample(r))).toBe(true);
    expect(b.contains(new Float32Array([0.5, 100, -5]))).toBe(true);
    expect(b.contains(new Float32Array([1.5, 0, 0]))).toBe(false);
    expect(b.contains(new Float32Array([NaN, 0, 0]))).toBe(false);
    expect(b.contains(new Float64Array([0.5, 0, 0]))).toBe(false);
    expect(b.contains([0.5, 0, 0])).toBe(false);
    expect(() => new Box({ low: 1, high: 0, shape: [2] })).toThrow(InvalidArgumentError);
    expect(() => new Box({ low: [0], high: 1, shape: [2] })).toThrow(InvalidArgumentError);
  });

  test("sample() without an rng draws from the space's own generator: back-to-back calls differ", () => {
    // 7^16 actions: two equal draws in a row are (almost) impossible for a working generator. Seeding a new
    // generator from the clock on each call gave the same action for 991 of 1000 calls.
    const s = new MultiDiscrete(new Array(16).fill(7), [4, 4]);
    let repeats = 0;
    let prev = s.sample().join();
    for (let i = 0; i < 1000; i++) {
      const cur = s.sample().join();
      if (cur === prev) repeats++;
      prev = cur;
    }
    expect(repeats).toBe(0);
    const box = new Box({ low: 0, high: 1, shape: [2] });
    expect(box.sample()).not.toEqual(box.sample());
    const d = new Discrete(1 << 30);
    expect(d.sample()).not.toBe(d.sample());
  });

  test("seed(n) makes sample() reproducible (Dict seeds its sub-spaces' draws); sample(rng) leaves it alone", () => {
    const mk = () => new Dict({ a: new MultiDiscrete([5, 5, 5]), b: new Box({ low: -1, high: 1, shape: [3] }) });
    const x = mk();
    const y = mk();
    expect(x.seed(123)).toBe(123);
    y.seed(123);
    const xs = [x.sample(), x.sample()];
    expect([y.sample(), y.sample()]).toEqual(xs);
    expect(xs[0]).not.toEqual(xs[1]);
    // An explicit rng does not advance the space's own stream.
    x.seed(5);
    y.seed(5);
    x.sample(new Rng(1));
    expect(x.sample()).toEqual(y.sample());
    // seed() without a number picks fresh entropy and says which seed it used.
    const s1 = x.seed();
    const first = x.sample();
    x.seed(s1);
    expect(x.sample()).toEqual(first);
    expect(() => x.seed(1.5)).toThrow(InvalidArgumentError);
    expect(() => x.sample(42 as never)).toThrow(InvalidArgumentError);
  });

  test("Discrete and Dict", () => {
    const d = new Dict({ a: new Discrete(3), b: new Box({ low: 0, high: 1, shape: [2, 2] }) });
    const r = new Rng(9);
    const x = d.sample(r);
    expect(d.contains(x)).toBe(true);
    expect(d.contains({ a: 3, b: x.b })).toBe(false);
    expect(d.contains({ a: 1 })).toBe(false);
    expect(d.contains({ a: 1, b: x.b, c: 0 })).toBe(false);
  });
});

describe("actions", () => {
  const out = new Int8Array(4);
  test("valid actions decode to level indices and offsets", () => {
    decodeAction([0, 3, 6, 1], 7, out, [2, 2]);
    expect(Array.from(out)).toEqual([0, 3, 6, 1]);
    decodeAction(new Uint8Array([6, 6, 0, 0]), 7, out, [2, 2]);
    const off = levelsToOffsets(out, DEFAULT_ACTION_LEVELS, new Int16Array(4));
    expect(Array.from(off)).toEqual([24, 24, -24, -24]);
  });
  test.each([
    ["wrong length", [0, 1, 2]],
    ["NaN", [0, NaN, 0, 0]],
    ["out of range", [0, 7, 0, 0]],
    ["negative", new Int8Array([0, -1, 0, 0])],
    ["non-integer", [0, 1.5, 0, 0]],
    ["string element", [0, "1", 0, 0]],
    ["float array", new Float32Array(4)],
    ["object", { length: 4 }],
    ["null", null],
  ])("%s is an InvalidArgumentError", (_name, action) => {
    expect(() => decodeAction(action, 7, out, [2, 2])).toThrow(InvalidArgumentError);
  });
});

describe("reward", () => {
  function pair(w: number, h: number, noise: number) {
    const a = allocI420(w, h);
    const b = allocI420(w, h);
    const r = new Rng(11);
    for (let i = 0; i < a.y.length; i++) {
      a.y[i] = (i * 7) & 255;
      b.y[i] = Math.max(0, Math.min(255, a.y[i]! + Math.round(noise * r.normal())));
    }
    let sse = 0;
    for (let i = 0; i < a.y.length; i++) sse += (a.y[i]! - b.y[i]!) ** 2;
    return { a, b, sse };
  }

  test("PSNR and MSE agree with the definition; identical frames cap at 60 dB (8-bit), as psnr()", () => {
    const { a, b, sse } = pair(64, 64, 3);
    const input = { source: a, recon: b, sseY: sse, sbSse: new Float64Array([sse]), sbPixels: new Float64Array([4096]), sbRows: 1, sbCols: 1 };
    const sb = new Float32Array(1);
    const mse = MSE.measure(input, sb);
    expect(mse).toBeCloseTo(sse / 4096, 9);
    expect(sb[0]).toBeCloseTo(Math.log10(1 + mse) / 3, 6);
    const d = PSNR.measure(input, sb);
    expect(d).toBeCloseTo(-10 * Math.log10((255 * 255) / mse), 9);
    expect(sb[0]).toBeCloseTo(-d / 50, 5);
    expect(psnrFromMse(0)).toBe(60);
    expect(psnrFromMse(0, 10)).toBe(72);
  });

  test("one PSNR per frame pair: psnrFromSse, the psnr reward and psnr() agree, cap included (8- and 10-bit)", () => {
    for (const depth of [8, 10]) {
      for (const noise of [0, 0.001, 0.5, 4]) {
        const a = allocI420(96, 64, depth);
        const b = allocI420(96, 64, depth);
        const r = new Rng(depth);
        let sse = 0;
        for (let i = 0; i < a.y.length; i++) {
          a.y[i] = (i * 13) % (1 << depth);
          // noise 0.001: a handful of ±1 errors, above the 1e-10 MSE floor but over the 60 dB cap at 8-bit.
          const e = noise < 0.01 ? (noise > 0 && i % 997 === 0 ? 1 : 0) : Math.round(noise * r.normal());
          b.y[i] = Math.max(0, Math.min((1 << depth) - 1, a.y[i]! + e));
          sse += (a.y[i]! - b.y[i]!) ** 2;
        }
        const want = psnr(a, b).y;
        expect(psnrFromSse(sse, a.y.length, depth)).toBe(want);
        const input = { source: a, recon: b, sseY: sse, sbSse: new Float64Array([sse, 0]), sbPixels: new Float64Array([4096, 2048]), sbRows: 1, sbCols: 2 };
        const sb = new Float32Array(2);
        expect(PSNR.measure(input, sb)).toBe(-want);
        expect(sb[1]).toBe(Math.fround(psnrCap(depth) / 50)); // an identical superblock: the cap, not 100 dB
        if (noise === 0) expect(want).toBe(psnrCap(depth));
      }
    }
  });

  test("the ssim reward is libvmaf's float_ssim (the number ssim() gives); the fast one is named ssim_box8", () => {
    const { a, b } = pair(192, 128, 6);
    const input = { source: a, recon: b, sseY: 0, sbSse: new Float64Array(6), sbPixels: new Float64Array(6).fill(4096), sbRows: 2, sbCols: 3 };
    const sb = new Float32Array(6);
    const exact = distortionByName("ssim");
    expect(exact.name).toBe("ssim");
    expect(exact.measure(input, sb)).toBe(100 * (1 - libvmafSsim(a, b)));
    const fast = distortionByName("ssim_box8");
    expect(fast.name).toBe("ssim_box8");
    const dFast = fast.measure(input, sb);
    expect(dFast).toBeGreaterThan(0);
    // Different windows, different numbers: one name could not honestly stand for both.
    expect(Math.abs(dFast - exact.measure(input, sb))).toBeGreaterThan(1e-3);
  });

  test("SSIM is 1 for identical frames, drops with noise, and per-superblock values follow the noise", () => {
    const ssim = makeSsimBox8();
    const { a } = pair(128, 64, 0);
    const b = allocI420(128, 64);
    b.y.set(a.y);
    const r = new Rng(2);
    for (let y = 0; y < 64; y++) for (let x = 64; x < 128; x++) b.y[y * 128 + x] = Math.max(0, Math.min(255, a.y[y * 128 + x]! + Math.round(20 * r.normal())));
    const input = { source: a, recon: a, sseY: 0, sbSse: new Float64Array(2), sbPixels: new Float64Array([4096, 4096]), sbRows: 1, sbCols: 2 };
    const sb = new Float32Array(2);
    expect(ssim.measure(input, sb)).toBeCloseTo(0, 9);
    const d = ssim.measure({ ...input, recon: b }, sb);
    expect(d).toBeGreaterThan(1);
    // Left superblock untouched except the windows straddling the edge (they count left).
    expect(sb[1]).toBeGreaterThan(0.1);
    expect(sb[0]).toBeLessThan(sb[1]! / 5);
  });

  test("the block-sum SSIM equals a direct 8x8-window computation (odd sizes, padded strides)", () => {
    const w = 150;
    const h = 101;
    const a = { ...allocI420(w, h), strideY: w + 6, y: new Uint8Array((w + 6) * h) };
    const b = { ...allocI420(w, h), strideY: w + 2, y: new Uint8Array((w + 2) * h) };
    const r = new Rng(4);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const v = (x * 3 + y * 5 + r.int(40)) & 255;
        a.y[y * a.strideY + x] = v;
        b.y[y * b.strideY + x] = Math.max(0, Math.min(255, v + r.int(21) - 10));
      }
    const cols = 3;
    const want = new Float64Array(6);
    const wantN = new Float64Array(6);
    let total = 0;
    let count = 0;
    for (let y0 = 0; y0 + 8 <= h; y0 += 4)
      for (let x0 = 0; x0 + 8 <= w; x0 += 4) {
        const px: number[] = [];
        const qx: number[] = [];
        for (let y = y0; y < y0 + 8; y++)
          for (let x = x0; x < x0 + 8; x++) {
            px.push(a.y[y * a.strideY + x]!);
            qx.push(b.y[y * b.strideY + x]!);
          }
        const mean = (v: number[]) => v.reduce((s, t) => s + t, 0) / v.length;
        const m1 = mean(px);
        const m2 = mean(qx);
        const v1 = mean(px.map((p) => (p - m1) ** 2));
        const v2 = mean(qx.map((q) => (q - m2) ** 2));
        const cov = mean(px.map((p, i) => (p - m1) * (qx[i]! - m2)));
        const c1 = (0.01 * 255) ** 2;
        const c2 = (0.03 * 255) ** 2;
        const ssim = ((2 * m1 * m2 + c1) * (2 * cov + c2)) / ((m1 * m1 + m2 * m2 + c1) * (v1 + v2 + c2));
        total += ssim;
        count++;
        const k = Math.floor(y0 / 64) * cols + Math.floor(x0 / 64);
        want[k]! += ssim;
        wantN[k]! += 1;
      }
    const sum = new Float64Array(6);
    const cnt = new Float64Array(6);
    const res = ssimBox8(a, b, cols, sum, cnt);
    expect(res.mean).toBeCloseTo(total / count, 10);
    expect(Array.from(cnt)).toEqual(Array.from(wantN));
    for (let k = 0; k < 6; k++) expect(sum[k]!).toBeCloseTo(want[k]!, 8);
  });

  test("reward modes and rate", () => {
    expect(bitsPerPixel(100, 40, 20)).toBe(1);
    expect(rdCost(-40, 0.5, 10)).toBe(-35);
    expect(rewardFromCost(-35, "absolute")).toBe(35);
    expect(rewardFromCost(-35, "baseline", -34)).toBe(1);
    expect(() => distortionByName("lpips")).toThrow(InvalidArgumentError);
  });
});

test("EpisodeEndedError is an Av1GymError with code END_OF_EPISODE", () => {
  const e = new EpisodeEndedError("done");
  expect(e).toBeInstanceOf(Av1GymError);
  expect(e.code).toBe("END_OF_EPISODE");
  expect(e.name).toBe("EpisodeEndedError");
});
