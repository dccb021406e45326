/** Env contract tests (in the spirit of Gymnasium's env checker) on the real encoder. */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { Env, clearBaselineCache, type Observation } from "../../src/env/env";
import { FRAME_FEATURES, SUPERBLOCK_FEATURES } from "../../src/env/observation";
import { PSNR, frameMetricDistortion, type Distortion } from "../../src/env/reward";
import { Rng } from "../../src/core/rng";
import { EpisodeEndedError, FileError, InvalidArgumentError, StateError } from "../../src/core/errors";
import { VideoReader } from "../../src/io/reader";
import { describeShared, sharedPath } from "../helpers/shared";

setDefaultTimeout(60_000); // real encodes on a loaded 2-core machine

const FAST = { preset: 12 } as const;

function tiny(extra: Record<string, unknown> = {}) {
  return new Env({ source: { synth: { width: 128, height: 128, frames: 12 } }, encoder: FAST, ...extra });
}

/** Runs an episode with actions drawn from `seed`; returns everything that must be reproducible. */
function rollout(env: Env, seed: number, steps = Infinity) {
  const rng = new Rng(seed);
  const [obs0] = env.reset({ seed });
  const obs: Observation[] = [obs0];
  const rewards: number[] = [];
  for (let i = 0; i < steps; i++) {
    const [o, r, te, tr] = env.step(env.actionSpace.sample(rng));
    obs.push(o);
    rewards.push(r);
    if (te || tr) break;
  }
  return { obs, rewards, hash: env.bitstreamHash };
}

describe("Env contract", () => {
  test("reset and step return the documented shapes and types, inside the spaces", () => {
    using env = tiny({ maxFrames: 4 });
    expect(env.sbRows).toBe(2);
    expect(env.sbCols).toBe(2);
    expect(env.actionSpace.shape).toEqual([2, 2]);
    expect(env.observationSpace.spaces.superblocks.shape).toEqual([2, 2, SUPERBLOCK_FEATURES.length]);
    expect(env.observationSpace.spaces.frame.shape).toEqual([FRAME_FEATURES.length]);
    const [obs, info] = env.reset({ seed: 0 });
    expect(obs.superblocks).toBeInstanceOf(Float32Array);
    expect(obs.frame).toBeInstanceOf(Float32Array);
    expect(env.observationSpace.contains(obs)).toBe(true);
    expect(info).toMatchObject({ frameIndex: 0, start: 0, episodeLength: 4, sbRows: 2, sbCols: 2 });
    for (let i = 0; i < 4; i++) {
      const res = env.step(env.actionSpace.sample(new Rng(i)));
      expect(res).toHaveLength(5);
      const [o, r, te, tr, inf] = res;
      expect(env.observationSpace.contains(o)).toBe(true);
      expect(typeof r).toBe("number");
      expect(Number.isFinite(r)).toBe(true);
      expect(typeof te).toBe("boolean");
      expect(typeof tr).toBe("boolean");
      expect(inf.step).toBe(i);
      expect(inf.frameIndex).toBe(i);
      expect(inf.bytes).toBeGreaterThan(0);
      for (const k of ["psnrY", "psnrU", "psnrV"] as const) expect(inf[k]).toBeGreaterThan(20);
      expect(inf.qindex).toBeGreaterThanOrEqual(0);
      expect(inf.qindex).toBeLessThanOrEqual(255);
      expect(typeof inf.frameType).toBe("string");
      expect(inf.isKey).toBe(i === 0);
      expect(inf.encodeMs).toBeGreaterThan(0);
      expect(r).toBeCloseTo(-(inf.distortion + 10 * inf.bitsPerPixel), 9); // psnr, lambda 10
      expect(inf.distortion).toBeCloseTo(-inf.psnrY, 9);
      expect(te || tr).toBe(i === 3);
    }
  });

  test("observations report what happened: previous offsets, qindex, bpp; the first has no history", () => {
    using env = tiny({ maxFrames: 3 });
    const F = SUPERBLOCK_FEATURES.length;
    const fi = (n: string) => FRAME_FEATURES.indexOf(n as never);
    const [o0] = env.reset({ seed: 0 });
    expect(o0.frame[fi("next_is_key")]).toBe(1);
    expect(o0.frame[fi("prev_bpp")]).toBe(0);
    for (let i = 0; i < 4; i++) expect(o0.superblocks[i * F + F - 1]).toBe(0);
    const [o1, , , , info] = env.step([0, 6, 3, 5]);
    expect(Array.from({ length: 4 }, (_, i) => o1.superblocks[i * F + F - 1])).toEqual([-1, 1, 0, 16 / 24].map(Math.fround));
    expect(o1.frame[fi("prev_base_qindex")]).toBeCloseTo(info.qindex / 255, 6);
    expect(o1.frame[fi("prev_bpp")]).toBeCloseTo(info.bitsPerPixel, 6);
    expect(o1.frame[fi("prev_is_key")]).toBe(1);
    expect(o1.frame[fi("next_is_key")]).toBe(0);
    expect(o1.frame[fi("progress")]).toBeCloseTo(1 / 3, 6);
    // Per-superblock PSNR / 50: the superblocks' PSNRs bracket the frame's.
    const sbPsnr = Array.from({ length: 4 }, (_, i) => o1.superblocks[i * F + F - 2]! * 50);
    expect(Math.min(...sbPsnr)).toBeLessThanOrEqual(info.psnrY + 1e-3);
    expect(Math.max(...sbPsnr)).toBeGreaterThanOrEqual(info.psnrY - 1e-3);
  });

  test("offsets reach the bitstream: all -24 costs more bytes and gives higher PSNR than all +24", () => {
    using env = tiny({ maxFrames: 4 });
    const run = (level: number) => {
      env.reset({ seed: 0 });
      let bytes = 0;
      let psnr = 0;
      for (let i = 0; i < 4; i++) {
        const [, , , , inf] = env.step(new Array(4).fill(level));
        bytes += inf.bytes;
        psnr += inf.psnrY;
      }
      return { bytes, psnr };
    };
    const fine = run(0);
    const coarse = run(6);
    expect(fine.bytes).toBeGreaterThan(coarse.bytes * 1.2);
    expect(fine.psnr).toBeGreaterThan(coarse.psnr);
  });

  test("same seed and actions: identical observations, rewards and bitstream; other actions differ", () => {
    using a = tiny({ maxFrames: 6, randomStart: true });
    using b = tiny({ maxFrames: 6, randomStart: true });
    const ra = rollout(a, 5);
    const rb = rollout(b, 5);
    expect(ra.rewards).toEqual(rb.rewards);
    expect(ra.hash).toBe(rb.hash);
    expect(ra.obs.length).toBe(rb.obs.length);
    ra.obs.forEach((o, i) => {
      expect(o.superblocks).toEqual(rb.obs[i]!.superblocks);
      expect(o.frame).toEqual(rb.obs[i]!.frame);
    });
    const rc = rollout(b, 6);
    expect(rc.hash).not.toBe(ra.hash);
    // Seeds drive the random start.
    const starts = new Set<number>();
    for (let s = 0; s < 8; s++) starts.add(a.reset({ seed: s })[1].start);
    expect(starts.size).toBeGreaterThan(1);
    for (const s of starts) expect(s).toBeLessThanOrEqual(12 - 6);
    expect(() => a.reset({ options: { maxFrames: 13 } })).toThrow(InvalidArgumentError);
  });

  test("several Envs interleaved in one process give the same results as run alone", () => {
    const alone = (() => {
      using e = tiny({ maxFrames: 5 });
      return rollout(e, 9);
    })();
    using e1 = tiny({ maxFrames: 5 });
    using e2 = new Env({ source: { synth: { width: 192, height: 128, frames: 8, seed: 3 } }, encoder: FAST, maxFrames: 5 });
    const rng1 = new Rng(9);
    const rng2 = new Rng(1);
    e1.reset({ seed: 9 });
    e2.reset({ seed: 1 });
    const rewards: number[] = [];
    for (let i = 0; i < 5; i++) {
      rewards.push(e1.step(e1.actionSpace.sample(rng1))[1]);
      e2.step(e2.actionSpace.sample(rng2));
    }
    expect(rewards).toEqual(alone.rewards);
    expect(e1.bitstreamHash).toBe(alone.hash);
  });

  test.each([
    ["wrong length", [0, 1, 2]],
    ["NaN", [0, NaN, 0, 0]],
    ["out of range", [0, 7, 0, 0]],
    ["non-integer", [0, 0.5, 0, 0]],
    ["wrong type", "0000"],
    ["float array", new Float64Array(4)],
  ])("invalid action (%s): InvalidArgumentError, the episode is unchanged and the next step works", (_n, bad) => {
    using env = tiny({ maxFrames: 3 });
    using twin = tiny({ maxFrames: 3 });
    env.reset({ seed: 1 });
    twin.reset({ seed: 1 });
    env.step([1, 2, 3, 4]);
    twin.step([1, 2, 3, 4]);
    expect(() => env.step(bad as never)).toThrow(InvalidArgumentError);
    expect(env.stepCount).toBe(1);
    const [o, r] = env.step(new Int8Array([3, 3, 0, 6]));
    const [o2, r2] = twin.step(new Int8Array([3, 3, 0, 6]));
    expect(r).toBe(r2);
    expect(o.superblocks).toEqual(o2.superblocks);
    expect(env.bitstreamHash).toBe(twin.bitstreamHash);
  });

  test("terminated at the end of the source, truncated at maxFrames; step after the end is EpisodeEndedError", () => {
    using env = tiny();
    env.reset({ options: { start: 9 } });
    const flags: [boolean, boolean][] = [];
    for (let i = 0; i < 3; i++) {
      const [, , te, tr] = env.step([3, 3, 3, 3]);
      flags.push([te, tr]);
    }
    expect(flags).toEqual([
      [false, false],
      [false, false],
      [true, false],
    ]);
    expect(() => env.step([3, 3, 3, 3])).toThrow(EpisodeEndedError);
    env.reset({ options: { start: 2, maxFrames: 2 } });
    env.step([3, 3, 3, 3]);
    const [, , te, tr] = env.step([3, 3, 3, 3]);
    expect([te, tr]).toEqual([false, true]);
    try {
      env.step([3, 3, 3, 3]);
      throw new Error("no error");
    } catch (e) {
      expect(e).toBeInstanceOf(EpisodeEndedError);
      expect((e as EpisodeEndedError).code).toBe("END_OF_EPISODE");
    }
    // The final observation of an episode is still inside the space.
    expect(() => env.reset({ options: { start: 12 } })).toThrow(InvalidArgumentError);
  });

  test("a frame cache smaller than the window (evicting while stepping) gives the same episode", () => {
    using big = tiny({ maxFrames: 10 });
    using small = tiny({ maxFrames: 10, cacheMB: 0 }); // 4 frames
    const a = rollout(big, 4);
    const b = rollout(small, 4);
    const c = rollout(small, 4); // and again, from a cache holding the window's tail
    expect(b.rewards).toEqual(a.rewards);
    expect(c.rewards).toEqual(a.rewards);
    expect(c.hash).toBe(a.hash);
    expect(b.obs.map((o) => Array.from(o.superblocks))).toEqual(a.obs.map((o) => Array.from(o.superblocks)));
  });

  test("reset mid-episode starts a clean encoder: the next episode equals a fresh one", () => {
    using env = tiny({ maxFrames: 4 });
    const fresh = rollout(env, 2);
    env.reset({ seed: 2 });
    env.step([6, 6, 6, 6]);
    env.step([0, 0, 0, 0]);
    const again = rollout(env, 2);
    expect(again.rewards).toEqual(fresh.rewards);
    expect(again.hash).toBe(fresh.hash);
  });

  test("close is idempotent; use after close is a StateError; step before reset is a StateError", () => {
    const env = tiny();
    expect(() => env.step([0, 0, 0, 0])).toThrow(StateError);
    env.reset();
    env.close();
    env.close();
    env[Symbol.dispose]();
    expect(env.isClosed).toBe(true);
    expect(() => env.reset()).toThrow(StateError);
    expect(() => env.step([0, 0, 0, 0])).toThrow(StateError);
  });

  test.each([
    ["eight levels max", { actionLevels: [0, 1, 2, 3, 4, 5, 6, 7, 8] }],
    ["distinct levels", { actionLevels: [0, 0, 8] }],
    ["levels in range", { actionLevels: [0, 300] }],
    ["crf and qp", { encoder: { crf: 30, qp: 30 } }],
    ["unknown option", { fps: 3 }],
    ["randomStart needs maxFrames", { randomStart: true }],
    ["unknown distortion", { reward: { distortion: "lpips" } }],
    ["negative lambda", { reward: { lambda: -1 } }],
    ["start past the end", { start: 100 }],
    ["bad synth size", { source: { synth: { width: 10 } } }],
  ])("bad options (%s) are InvalidArgumentError", (_n, opts) => {
    expect(() => new Env({ encoder: FAST, ...opts } as never)).toThrow(InvalidArgumentError);
  });

  test("a source SVT-AV1 cannot take (odd size) is refused when the Env is built, saying why", () => {
    expect(() => new Env({ source: { synth: { width: 175, height: 143, frames: 3 } } })).toThrow(InvalidArgumentError);
    expect(() => new Env({ source: { synth: { width: 175, height: 144, frames: 3 } } })).toThrow("even width and height");
  });

  test("a missing file is a typed FileError, not a crash", () => {
    expect(() => new Env({ source: "/nonexistent/clip.mp4" })).toThrow(expect.objectContaining({ code: "IO" }));
  });
});

describe("Env rewards", () => {
  test("baseline mode: the zero action scores exactly 0; other actions do not; the cost matches absolute mode", () => {
    clearBaselineCache();
    using base = tiny({ maxFrames: 5, reward: { mode: "baseline", lambda: 10 } }); // abs's default lambda
    using abs = tiny({ maxFrames: 5 });
    base.reset({ seed: 0 });
    abs.reset({ seed: 0 });
    for (let i = 0; i < 5; i++) {
      const [, r, , , info] = base.step([3, 3, 3, 3]);
      const [, ra] = abs.step([3, 3, 3, 3]);
      expect(r).toBe(0);
      expect(info.baselineCost).toBe(info.cost);
      expect(-ra).toBeCloseTo(info.cost, 12);
    }
    base.reset({ seed: 0 });
    let nonzero = 0;
    for (let i = 0; i < 5; i++) if (base.step([0, 6, 0, 6])[1] !== 0) nonzero++;
    expect(nonzero).toBeGreaterThan(0);
  });

  test("mse, ssim and ssim_box8 rewards and a plugged-in Distortion", () => {
    for (const distortion of ["mse", "ssim", "ssim_box8"] as const) {
      using env = tiny({ maxFrames: 2, reward: { distortion, lambda: 0 } });
      env.reset({ seed: 0 });
      const [o, r, , , info] = env.step([3, 3, 3, 3]);
      expect(env.observationSpace.contains(o)).toBe(true);
      expect(r).toBe(-info.distortion);
      if (distortion === "mse") expect(info.distortion).toBeCloseTo(255 * 255 * 10 ** (-info.psnrY / 10), 6);
      else {
        expect(info.distortion).toBeGreaterThan(0);
        expect(info.distortion).toBeLessThan(20);
      }
    }
    let calls = 0;
    const custom: Distortion = { ...PSNR, name: "psnr-counted", measure: (i, out) => (calls++, PSNR.measure(i, out)) };
    {
      // the baseline reward measures the default's encode of the window once, at reset()
      using based = tiny({ maxFrames: 2, reward: { distortion: custom, mode: "baseline", lambda: 10 } });
      based.reset();
      expect(calls).toBe(2);
      based.reset(); // cached
      expect(calls).toBe(2);
    }
    calls = 0;
    using env = tiny({ maxFrames: 2, reward: { distortion: custom } });
    env.reset(); // absolute reward: the default's run gives the observation its qindex and reference flags, unmeasured
    expect(calls).toBe(0);
    {
      // an unmeasured run of the window in the cache is measured when a baseline reward needs it
      const other: Distortion = { ...custom, name: "psnr-counted-2" };
      using abs = tiny({ maxFrames: 2, reward: { distortion: other } });
      abs.reset();
      expect(calls).toBe(0);
      using based = tiny({ maxFrames: 2, reward: { distortion: other, mode: "baseline", lambda: 10 } });
      based.reset();
      expect(calls).toBe(2);
      const [, r] = based.step([3, 3, 3, 3]); // the zero action against a measured baseline: exactly 0
      expect(r).toBe(0);
      calls = 0;
    }
    const [, , , , info] = env.step([3, 3, 3, 3]);
    expect(calls).toBe(1);
    expect(info.distortion).toBeCloseTo(-info.psnrY, 9);
    // A whole-frame metric function plugs in the same way (here: mean absolute luma error).
    const mae = frameMetricDistortion("mae", (a, b) => {
      let s = 0;
      for (let i = 0; i < a.y.length; i++) s += Math.abs(a.y[i]! - b.y[i]!);
      return s / a.y.length;
    }, { defaultLambda: 2 });
    using env2 = tiny({ maxFrames: 2, reward: { distortion: mae } });
    env2.reset();
    const [o2, r2, , , info2] = env2.step([3, 3, 3, 3]);
    expect(info2.distortion).toBeGreaterThan(0);
    expect(r2).toBeCloseTo(-(info2.distortion + 2 * info2.bitsPerPixel), 9);
    expect(env2.observationSpace.contains(o2)).toBe(true);
    expect(() => frameMetricDistortion("x", 3 as never)).toThrow(InvalidArgumentError);
  });
});

test("the encoder's per-superblock SSE (used by the Env) equals superblockSse(source, recon)", async () => {
  const { Av1Encoder } = await import("../../src/codec/av1_encoder");
  const { superblockSse } = await import("../../src/analysis/analysis");
  const { SynthSource } = await import("../../src/io/synth");
  const src = new SynthSource(192, 128, 3);
  using enc = new Av1Encoder({ width: 192, height: 128, preset: 12, recon: true });
  for (let i = 0; i < 3; i++) {
    const f = src.frame(i);
    const [p] = enc.encode(f, { qpOffsets: [0, 24, -24, 8, 0, 0] });
    const mine = superblockSse(f, p!.recon!.frame);
    expect(Array.from(p!.recon!.sseSuperblocks)).toEqual(Array.from(mine.superblocks));
    expect(mine.superblocks.reduce((a, b) => a + b, 0)).toBe(p!.recon!.sse.y);
  }
});

test("the packet PSNR the Env reports is psnr()'s, cap included: a flat frame reconstructed exactly is 60 dB, not 100", async () => {
  const { Av1Encoder } = await import("../../src/codec/av1_encoder");
  const { allocI420 } = await import("../../src/core/frame");
  const { psnr } = await import("../../src/metrics/metrics");
  const flat = allocI420(128, 128);
  flat.y.fill(128);
  flat.u.fill(128);
  flat.v.fill(128);
  using enc = new Av1Encoder({ width: 128, height: 128, preset: 12, recon: true });
  const [p] = enc.encode(flat);
  expect(p!.recon!.sse).toEqual({ y: 0, u: 0, v: 0 });
  const want = psnr(flat, p!.recon!.frame);
  expect(want.y).toBe(60);
  expect(p!.recon!.psnr).toEqual({ y: want.y, u: want.cb, v: want.cr });
});

describe("metrics-module rewards", () => {
  test("ms_ssim: D = 100 (1 - MS-SSIM) of the reconstruction; frames under 176x176 are refused up front", async () => {
    const { msSsim } = await import("../../src/metrics/metrics");
    using env = new Env({ source: { synth: { width: 192, height: 192, frames: 3 } }, encoder: FAST, reward: { distortion: "ms_ssim", lambda: 0 } });
    env.reset();
    const [o, r, , , info] = env.step(new Array(9).fill(3));
    expect(info.distortion).toBeGreaterThan(0);
    expect(info.distortion).toBeLessThan(20);
    expect(r).toBe(-info.distortion);
    expect(env.observationSpace.contains(o)).toBe(true);
    expect(typeof msSsim).toBe("function");
    expect(() => tiny({ reward: { distortion: "ms_ssim" } })).toThrow(InvalidArgumentError);
  });
});

describeShared("Env on a real clip", () => {
  test("vmaf reward: 100 - VMAF, deterministic across episodes (the scorer restarts with each episode)", () => {
    using env = new Env({ source: sharedPath("clips", "carphone_176x144_120f.mp4"), encoder: FAST, maxFrames: 4, reward: { distortion: "vmaf", lambda: 0 } });
    const run = () => {
      env.reset({ seed: 0 });
      const d: number[] = [];
      for (let i = 0; i < 4; i++) d.push(env.step(new Array(9).fill(3))[4].distortion);
      return d;
    };
    const a = run();
    for (const v of a) {
      expect(v).toBeGreaterThan(0);
      expect(v).toBeLessThan(60);
    }
    expect(run()).toEqual(a);
    // Coarser quantization scores worse.
    env.reset({ seed: 0 });
    const coarse: number[] = [];
    for (let i = 0; i < 4; i++) coarse.push(env.step(new Array(9).fill(6))[4].distortion);
    expect(coarse.reduce((x, y) => x + y)).toBeGreaterThan(a.reduce((x, y) => x + y));
  });

  test("vmaf reward takes the model path as an option: the neg model scores no higher; a bad path fails at construction", () => {
    const distortions = (vmafModel?: string) => {
      using env = new Env({ source: sharedPath("clips", "carphone_176x144_120f.mp4"), encoder: FAST, maxFrames: 3, reward: { distortion: "vmaf", lambda: 0, vmafModel } });
      env.reset({ seed: 0 });
      return [0, 1, 2].map(() => env.step(new Array(9).fill(3))[4].distortion);
    };
    const def = distortions(sharedPath("vmaf", "models", "vmaf_v0.6.1.json"));
    const neg = distortions(sharedPath("vmaf", "models", "vmaf_v0.6.1neg.json"));
    expect(neg.reduce((a, b) => a + b)).toBeGreaterThanOrEqual(def.reduce((a, b) => a + b));
    expect(neg).not.toEqual(def);
    expect(() => new Env({ source: { synth: { width: 64, height: 64, frames: 2 } }, reward: { distortion: "vmaf", vmafModel: "/nonexistent/model.json" } })).toThrow(FileError);
    expect(() => new Env({ source: { synth: { width: 64, height: 64, frames: 2 } }, reward: { distortion: "psnr", vmafModel: "x.json" } })).toThrow(InvalidArgumentError);
  });

  test("reads a file once per window: a second episode decodes nothing; a caller's VideoReader stays open", () => {
    const reader = new VideoReader(sharedPath("clips", "carphone_176x144_120f.mp4"), { bitDepth: 8 });
    let reads = 0;
    const orig = reader.frame.bind(reader);
    reader.frame = ((i: number, into?: never) => (reads++, orig(i, into))) as typeof reader.frame;
    {
      using env = new Env({ source: reader, encoder: FAST, start: 40, maxFrames: 5 });
      expect([env.sbRows, env.sbCols]).toEqual([3, 3]);
      rollout(env, 1);
      const first = reads;
      expect(first).toBeGreaterThanOrEqual(5);
      expect(first).toBeLessThanOrEqual(6); // the window plus frame 39 for motion analysis
      rollout(env, 2);
      expect(reads).toBe(first);
    }
    expect(reader.closed).toBe(false);
    expect(reader.frame(0).width).toBe(176);
    reader.close();
  });

  test("a path source: PSNR in the usual range", () => {
    using env = new Env({ source: sharedPath("clips", "carphone_176x144_120f.mp4"), encoder: FAST, maxFrames: 3 });
    env.reset();
    const [, , , , info] = env.step(new Array(9).fill(3));
    expect(info.psnrY).toBeGreaterThan(28);
    expect(info.psnrY).toBeLessThan(60);
  });
});

test("200 reset-and-episode cycles: RSS grows < 20 MB, no file descriptor leaks, also over files (subprocess)", async () => {
  const code = `
    import { existsSync, readdirSync } from "node:fs";
    import { Env } from "./src/env/env";
    const fds = () => readdirSync("/proc/self/fd").length;
    const env = new Env({ source: { synth: { width: 128, height: 128, frames: 3 } }, encoder: { preset: 12 }, reward: { mode: "baseline" } });
    const cycle = () => { env.reset(); for (let i = 0; i < 3; i++) env.step([0, 3, 6, 3]); };
    for (let i = 0; i < 20; i++) cycle();
    Bun.gc(true);
    const rss0 = process.memoryUsage().rss, fd0 = fds();
    for (let i = 0; i < 200; i++) cycle();
    Bun.gc(true);
    const rss1 = process.memoryUsage().rss, fd1 = fds();
    env.close();
    // Envs over a file, opened and closed: the reader's file descriptors go with them.
    const clip = "../shared/clips/carphone_176x144_120f.mp4";
    if (existsSync(clip)) for (let i = 0; i < 20; i++) { const e = new Env({ source: clip, maxFrames: 2, encoder: { preset: 12 } }); e.reset(); e.step(new Array(9).fill(3)); e.close(); }
    Bun.gc(true);
    const fd2 = fds();
    console.log(JSON.stringify({ growMB: (rss1 - rss0) / 1048576, fd0, fd1, fd2 }));
  `;
  const proc = Bun.spawn(["bun", "-e", code], { cwd: `${import.meta.dir}/../..`, stdout: "pipe", stderr: "pipe" });
  const [out, err, exit] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (exit !== 0) console.error(err);
  expect(exit).toBe(0);
  const r = JSON.parse(out.trim().split("\n").pop()!);
  expect(r.growMB).toBeLessThan(20);
  expect(r.fd1).toBe(r.fd0);
  expect(r.fd2).toBe(r.fd0);
}, 120_000);
