/**
 * Metrics API behaviour: odd and tiny frame sizes (in a subprocess: a crash must not kill the run), SIMD and
 * portable kernels agreeing, streaming order of VmafScorer, model errors, pooling and the CLI.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { allocI420, type I420Frame } from "../../src/core/frame";
import { FileError, FormatError, InvalidArgumentError, StateError } from "../../src/core/errors";
import { metricsSimdLevel, msSsim, psnr, setMetricsSimd, SIMD_LEVELS, ssim } from "../../src/metrics/metrics";
import { percentile, pool, VmafModel, VmafScorer, vmafFeatures } from "../../src/metrics/vmaf";
import { parseLibsvm } from "../../src/metrics/vmaf_model";
import { describeShared, HAVE_SHARED, sharedPath } from "../helpers/shared";

const SRC = resolve(import.meta.dir, "..", "..", "src");

/** A frame of smooth structure plus noise (deterministic). */
function pattern(w: number, h: number, bd: number, seed: number, noise: number): I420Frame {
  const f = allocI420(w, h, bd);
  const max = (1 << bd) - 1;
  let s = seed >>> 0;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 2;
  const fill = (p: Uint8Array | Uint16Array, pw: number, ph: number) => {
    for (let y = 0; y < ph; y++)
      for (let x = 0; x < pw; x++) {
        const v = (0.5 + 0.3 * Math.sin(x / 5 + seed) * Math.cos(y / 7)) * max + rnd() * noise * max;
        p[y * pw + x] = Math.max(0, Math.min(max, Math.round(v)));
      }
  };
  fill(f.y, w, h);
  fill(f.u, f.strideU, (h + 1) >> 1);
  fill(f.v, f.strideV, (h + 1) >> 1);
  return f;
}

describe("odd and tiny sizes", () => {
  test("1x1 .. 175x143, 8- and 10-bit, give numbers without crashing (subprocess)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "av1gym-mt-"));
    const script = join(dir, "child.ts");
    writeFileSync(
      script,
      `import { allocI420 } from ${JSON.stringify(join(SRC, "core", "frame.ts"))};
import { psnr, ssim, msSsim } from ${JSON.stringify(join(SRC, "metrics", "metrics.ts"))};
import { VmafScorer, vmafFeatures } from ${JSON.stringify(join(SRC, "metrics", "vmaf.ts"))};
const model = process.argv[2]; // a model path, or absent without ../shared: then features only
const out = [];
for (const [w, h] of [[1, 1], [2, 2], [3, 5], [16, 16], [17, 9], [33, 33], [175, 143]]) {
  for (const bd of [8, 10]) {
    const fr = (k) => { const f = allocI420(w, h, bd); for (const p of [f.y, f.u, f.v]) for (let i = 0; i < p.length; i++) p[i] = (i * 37 + k * 11) % (1 << bd); return f; };
    const res = [];
    if (model) {
      const s = new VmafScorer({ width: w, height: h, bitDepth: bd, models: model, psnr: true, ssim: true, msSsim: true });
      for (let k = 0; k < 3; k++) res.push(...s.push(fr(k), fr(k + 1)));
      res.push(...s.flush());
      s.close();
    } else {
      for (let k = 0; k < 3; k++) {
        const f = vmafFeatures(fr(k), fr(k + 1), k ? { prevRef: fr(k - 1) } : {});
        res.push({ vmaf: 50, metrics: { integer_adm2: f.adm2, integer_vif_scale0: f.vif_scale0 } });
      }
    }
    out.push({ w, h, bd, n: res.length, vmaf: res.map((r) => r.vmaf), adm2: res.map((r) => r.metrics.integer_adm2), vif0: res.map((r) => r.metrics.integer_vif_scale0),
      psnr: psnr(fr(0), fr(1)).y, ssim: ssim(fr(0), fr(1)), ms: msSsim(fr(0), fr(1)) });
  }
}
console.log(JSON.stringify(out));
`,
    );
    // The VMAF model lives in ../shared; without it the child computes the features (the crash-prone part) only.
    const args = HAVE_SHARED ? [sharedPath("vmaf", "models", "vmaf_v0.6.1.json")] : [];
    const p = Bun.spawn(["bun", script, ...args], { stdout: "pipe", stderr: "pipe" });
    const [code, stdout, stderr] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
    rmSync(dir, { recursive: true, force: true });
    if (code !== 0) console.error(stderr);
    if (process.env.DEBUG_METRICS) console.log(stdout);
    expect(code).toBe(0);
    const rows = JSON.parse(stdout);
    expect(rows.length).toBe(14);
    for (const r of rows) {
      expect(r.n).toBe(3);
      for (const v of [...r.vmaf, ...r.adm2, ...r.vif0, r.psnr]) expect(Number.isFinite(v)).toBe(true);
      for (const v of r.vmaf) expect(v >= 0 && v <= 100).toBe(true);
      // SSIM needs an 11x11 window, MS-SSIM 176x176: NaN (null in JSON) below, a number above.
      expect(r.ssim === null).toBe(r.w < 11 || r.h < 11);
      expect(r.ms).toBeNull();
    }
  }, 60000);
});

describe("kernels", () => {
  test("identical frames: PSNR at the cap, SSIM 1, VIF and ADM 1", () => {
    for (const bd of [8, 10]) {
      const a = pattern(64, 48, bd, 3, 0.05);
      const p = psnr(a, a);
      expect(p.y).toBe(6 * bd + 12);
      expect(p.combined).toBe(6 * bd + 12);
      expect(ssim(a, a)).toBeCloseTo(1, 6);
      const f = vmafFeatures(a, a);
      expect(f.adm2).toBeCloseTo(1, 4);
      expect(f.vif_scale0).toBeCloseTo(1, 4);
      expect(f.motion).toBe(0);
    }
  }, 60000);

  // The scale-3 VIF filter's centre tap (43728) times a bright scale-2 sample overflowed int (the full suite under
  // the sanitizer found it on real clips); here near-white frames, in the sanitized run too (the name says so).
  test("near-white frames: every VIF scale finite, 1 for identical frames (sanitizer: no integer overflow)", () => {
    for (const bd of [8, 10]) {
      const a = pattern(176, 144, bd, 5, 0.01), b = pattern(176, 144, bd, 5, 0.04);
      const max = (1 << bd) - 1;
      for (const p of [a.y, b.y]) for (let i = 0; i < p.length; i++) p[i] = max - (p[i]! >> 3); // within 1/16 of white
      const same = vmafFeatures(a, a), diff = vmafFeatures(a, b);
      for (const k of ["vif_scale0", "vif_scale1", "vif_scale2", "vif_scale3"] as const) {
        expect(same[k]).toBeCloseTo(1, 4);
        expect(diff[k]).toBeGreaterThan(0.5); // NaN fails too
        expect(diff[k]).toBeLessThan(1.05);
      }
    }
  }, 60000);

  // ADM's masking threshold is negative where a whole neighbourhood is flat at scales 1-3, and was shifted left as
  // a signed int (UB; the whole suite under UBSan found it on the corpus clips): pillarboxed frames have such
  // columns at both edges, where the scalar path runs on every machine.
  test("pillarboxed frames (flat bars): ADM finite, SIMD equal to portable (sanitizer: no negative left shift)", () => {
    const levels = SIMD_LEVELS.filter((l) => (setMetricsSimd(l), metricsSimdLevel() === l));
    try {
      for (const bd of [8, 10]) {
        const a = pattern(192, 144, bd, 6, 0.02), b = pattern(192, 144, bd, 6, 0.06);
        for (const f of [a, b])
          for (let y = 0; y < 144; y++) for (let x = 0; x < 192; x++) if (x < 32 || x >= 160) f.y[y * 192 + x] = 16 << (bd - 8);
        setMetricsSimd(false);
        const c = vmafFeatures(a, b);
        expect(c.adm2).toBeGreaterThan(0.5);
        expect(c.adm2).toBeLessThanOrEqual(1);
        for (const l of levels) {
          setMetricsSimd(l);
          expect(vmafFeatures(a, b)).toEqual(c);
        }
      }
    } finally {
      setMetricsSimd(true);
    }
  }, 60000);

  test("SIMD (AVX2, AVX-512) and portable kernels give identical features", () => {
    // every level the CPU has, against the portable C path; widths around the 16- and 32-column vector steps
    const levels = SIMD_LEVELS.slice(1).filter((l) => (setMetricsSimd(l), metricsSimdLevel() === l));
    setMetricsSimd(true);
    try {
      for (const bd of [8, 10])
        for (const [w, h] of [[175, 143], [64, 48], [640, 36], [95, 40], [33, 20]]) {
          const a = pattern(w, h, bd, 1, 0.02), b = pattern(w, h, bd, 1, 0.08), prev = pattern(w, h, bd, 2, 0.02);
          setMetricsSimd(false);
          const c = vmafFeatures(a, b, { prevRef: prev, neg: true });
          const pc = psnr(a, b), sc = ssim(a, b);
          for (const l of levels) {
            setMetricsSimd(l);
            expect(vmafFeatures(a, b, { prevRef: prev, neg: true })).toEqual(c);
            expect(psnr(a, b)).toEqual(pc);
            expect(ssim(a, b)).toBe(sc);
          }
        }
      const a = pattern(200, 184, 8, 4, 0.02), b = pattern(200, 184, 8, 4, 0.1);
      setMetricsSimd(false);
      const mc = msSsim(a, b);
      expect(Number.isFinite(mc)).toBe(true);
      for (const l of levels) {
        setMetricsSimd(l);
        expect(msSsim(a, b)).toBe(mc);
      }
    } finally {
      setMetricsSimd(true);
    }
  }, 60000);

  test("a SIMD level that does not exist is refused", () => {
    expect(() => setMetricsSimd("sse9" as never)).toThrow(InvalidArgumentError);
  });

  test("more distortion scores lower", () => {
    const a = pattern(96, 80, 8, 5, 0.01), mild = pattern(96, 80, 8, 5, 0.03), bad = pattern(96, 80, 8, 5, 0.2);
    expect(psnr(a, mild).y).toBeGreaterThan(psnr(a, bad).y);
    expect(ssim(a, mild)).toBeGreaterThan(ssim(a, bad));
    expect(vmafFeatures(a, mild).vif_scale0).toBeGreaterThan(vmafFeatures(a, bad).vif_scale0);
  });

  test("mismatched frames are refused", () => {
    expect(() => psnr(allocI420(16, 16), allocI420(16, 18))).toThrow(InvalidArgumentError);
    expect(() => ssim(allocI420(16, 16, 8), allocI420(16, 16, 10))).toThrow(InvalidArgumentError);
    const bad = allocI420(16, 16);
    bad.y = new Uint8Array(10);
    expect(() => msSsim(bad, allocI420(16, 16))).toThrow(InvalidArgumentError);
  });
});

describe("pooling", () => {
  test("mean, min, max, libvmaf harmonic mean and percentiles", () => {
    const p = pool([90, 80, 100]);
    expect(p.mean).toBeCloseTo(90, 12);
    expect(p.min).toBe(80);
    expect(p.max).toBe(100);
    expect(p.harmonic_mean).toBeCloseTo(3 / (1 / 91 + 1 / 81 + 1 / 101) - 1, 10);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([5], 95)).toBe(5);
    expect(() => percentile([1], 101)).toThrow(InvalidArgumentError);
  });
});

describe("model parsing", () => {
  const parse = (text: string, fast: boolean) => {
    try {
      return parseLibsvm(text, (m) => { throw new Error(m); }, fast);
    } catch (e) {
      return (e as Error).message;
    }
  };

  test("the SVs parse the same as JSON (the fast path) as line by line, in every shipped model and odd shapes", () => {
    const models = ["vmaf_v0.6.1.json", "vmaf_v0.6.1neg.json", "vmaf_4k_v0.6.1.json"].map(
      (n) => JSON.parse(readFileSync(resolve(SRC, "..", "models", n), "utf8")).model_dict.model as string,
    );
    const text = models[0]!;
    const [head, body] = text.split("SV\n") as [string, string];
    const line = body.split("\n")[0]!;
    const variants = [
      ...models,
      text.replaceAll("\n", "\r\n"), // CRLF
      text.replaceAll(" ", "\t"), // tabs
      text.replaceAll(" 2:", "  2:"), // two spaces
      `${head}SV\n${line}\n\n${line}\n`, // a blank line between SVs
      `${head}SV\n${line.replace("1:", "1:0.5:")}\n`, // a value with two colons
      `${head}SV\n${line.replace(/ 2:\S+/, " 2:1e999")}\n`, // infinity
      `${head}SV\n${line.replace("3:", "7:")}\n`, // index out of range
      `${head}SV\n${line.replace("4:", "4.5:")}\n`, // index not an integer
      `${head}SV\n${line.replace(/ 5:\S+/, " 5:abc")}\n`, // not a number
      `${head}SV\n${line.replace(/ 6:\S+/, " 6:")}\n`, // no value
      `${head}SV\n1e999 1:0.5\n`, // infinite coefficient
      `${head}SV\n0x10 1:0.5 1:0.25\n`, // hexadecimal, a repeated index
      `${head}SV\n`, // no SVs
    ];
    for (const v of variants) {
      const slow = parse(v, false), fast = parse(v, true);
      expect(fast).toEqual(slow);
    }
    // the shipped models parse, and through the fast path (not both refusing)
    for (const m of models) expect(typeof parse(m, true)).toBe("object");
  });
});

describeShared("models and the scorer", () => {
  const MODEL = sharedPath("vmaf", "models", "vmaf_v0.6.1.json");
  const NEG_MODEL = sharedPath("vmaf", "models", "vmaf_v0.6.1neg.json");

  test("model files: missing, not JSON, not a model, unsupported", () => {
    const dir = mkdtempSync(join(tmpdir(), "av1gym-mm-"));
    try {
      expect(() => VmafModel.load(join(dir, "none.json"))).toThrow(FileError);
      writeFileSync(join(dir, "a.json"), "{not json");
      expect(() => VmafModel.load(join(dir, "a.json"))).toThrow(FormatError);
      writeFileSync(join(dir, "b.json"), JSON.stringify({ hello: 1 }));
      expect(() => VmafModel.load(join(dir, "b.json"))).toThrow(/model_dict/);
      const good = JSON.parse(readFileSync(MODEL, "utf8"));
      const broken = structuredClone(good);
      broken.model_dict.model = broken.model_dict.model.replace("kernel_type rbf", "kernel_type linear");
      expect(() => VmafModel.fromJson(broken, "x.json")).toThrow(/kernel_type/);
      const noSv = structuredClone(good);
      noSv.model_dict.model = noSv.model_dict.model.split("SV\n")[0] + "SV\n";
      expect(() => VmafModel.fromJson(noSv, "y.json")).toThrow(FormatError);
      const badSlopes = structuredClone(good);
      badSlopes.model_dict.slopes = [1, 2];
      expect(() => VmafModel.fromJson(badSlopes, "z.json")).toThrow(/slopes/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60000);

  test("models load with their gain limit; closed models refuse", () => {
    const m = VmafModel.load(MODEL);
    const neg = VmafModel.load(sharedPath("vmaf", "models", "vmaf_v0.6.1neg.json"));
    const k4 = VmafModel.load(sharedPath("vmaf", "models", "vmaf_4k_v0.6.1.json"));
    expect(m.enhancementGainLimit).toBe(100);
    expect(neg.enhancementGainLimit).toBe(1);
    const f = { adm2: 0.98, motion2: 3, vif_scale0: 0.6, vif_scale1: 0.95, vif_scale2: 0.97, vif_scale3: 0.98 };
    const s = m.predict(f);
    expect(s).toBeGreaterThan(50);
    expect(s).toBeLessThanOrEqual(100);
    expect(k4.predict(f)).not.toBe(s);
    expect(m.predict({ ...f, adm2: 0.5 })).toBeLessThan(s);
    for (const x of [m, neg, k4]) x.close();
    m.close();
    expect(() => m.predict(f)).toThrow(StateError);
  });

  test("the scorer streams: frame 0 at once, then one behind, flush the last; options validated", () => {
    expect(() => new VmafScorer({ width: 0, height: 10, models: MODEL })).toThrow(InvalidArgumentError);
    expect(() => new VmafScorer({ width: 10, height: 10, models: MODEL, threads: 0 })).toThrow(InvalidArgumentError);
    const s = new VmafScorer({ width: 64, height: 48, models: MODEL, threads: 1 });
    const frames = [0, 1, 2, 3].map((k) => pattern(64, 48, 8, k, 0.01));
    const dis = [0, 1, 2, 3].map((k) => pattern(64, 48, 8, k, 0.05));
    expect(s.push(frames[0]!, dis[0]!).map((r) => r.frameNum)).toEqual([0]);
    expect(s.push(frames[1]!, dis[1]!).map((r) => r.frameNum)).toEqual([]);
    const r1 = s.push(frames[2]!, dis[2]!);
    expect(r1.map((r) => r.frameNum)).toEqual([1]);
    const r2 = s.push(frames[3]!, dis[3]!);
    const last = s.flush();
    expect(last.map((r) => r.frameNum)).toEqual([3]);
    // motion2 = min(motion[i], motion[i+1]); the last frame keeps its own motion
    expect(r1[0]!.metrics.integer_motion2).toBe(Math.min(r1[0]!.metrics.integer_motion!, r2[0]!.metrics.integer_motion!));
    expect(last[0]!.metrics.integer_motion2).toBe(last[0]!.metrics.integer_motion!);
    expect(() => s.push(frames[0]!, allocI420(32, 32))).toThrow(InvalidArgumentError);
    s.close();
    s.close();
    expect(() => s.push(frames[0]!, dis[0]!)).toThrow(StateError);
  });

  test("threads: small frames scored several at once, large ones split; the same results in the same order", () => {
    const run = (w: number, h: number, n: number, threads: number, pushed: number[][] = []) => {
      const s = new VmafScorer({ width: w, height: h, models: [MODEL, NEG_MODEL], threads, psnr: true });
      const out = [];
      for (let k = 0; k < n; k++) {
        const r = s.push(pattern(w, h, 8, k, 0.01), pattern(w, h, 8, k, 0.05));
        pushed.push(r.map((x) => x.frameNum));
        out.push(...r);
      }
      out.push(...s.flush());
      s.close();
      return out;
    };
    const one = run(64, 48, 9, 1);
    expect(one.map((r) => r.frameNum)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(one[5]!.metrics.integer_motion).toBeGreaterThan(0);
    for (const threads of [2, 3]) {
      const pushed: number[][] = [];
      expect(run(64, 48, 9, threads, pushed)).toEqual(one);
      // whole frames in flight (threads + 1 of them): frame 0 comes back with push threads + 1, then frame i
      // (which waits for the next one's motion) with push i + threads + 2
      const depth = threads + 1;
      expect(pushed).toEqual(pushed.map((_, k) => (k === depth ? [0] : k > depth + 1 ? [k - depth - 1] : [])));
    }
    // 1024x600 is above frame mode's size: split within a frame, so frame 0 comes back at once
    const pushed: number[][] = [];
    expect(run(1024, 600, 3, 2, pushed)).toEqual(run(1024, 600, 3, 1));
    expect(pushed[0]).toEqual([0]);
    // a rejected frame leaves the queue as it was
    const s = new VmafScorer({ width: 64, height: 48, models: MODEL, threads: 2 });
    s.push(pattern(64, 48, 8, 0, 0.01), pattern(64, 48, 8, 0, 0.05));
    const bad = pattern(64, 48, 8, 1, 0.05);
    expect(() => s.push(pattern(64, 48, 8, 1, 0.01), { ...bad, y: bad.y.subarray(0, 10) })).toThrow(InvalidArgumentError);
    expect(s.flush().map((r) => r.frameNum)).toEqual([0]);
    s.close();
  });

  test("CLI: vmaf over a raw reference and an mkv, JSON in libvmaf's layout, length mismatch reported", async () => {
    const dir = mkdtempSync(join(tmpdir(), "av1gym-cli-"));
    const json = join(dir, "out.json");
    const p = Bun.spawn(
      ["bun", join(SRC, "cli", "main.ts"), "vmaf", "--ref", sharedPath("clips", "src01_160x90_48f.yuv"), "--dis",
        sharedPath("vmaf", "reference", "src01_160x90_48f__x264crf23.mkv"), "--width", "160", "--height", "90",
        "--model", MODEL, "--json", json, "--quiet", "--psnr"],
      { stdout: "pipe", stderr: "pipe" },
    );
    const [code, out] = await Promise.all([p.exited, new Response(p.stdout).text()]);
    expect(code).toBe(0);
    expect(out).toMatch(/VMAF .*mean=/);
    const doc = JSON.parse(readFileSync(json, "utf8"));
    const ref = JSON.parse(readFileSync(sharedPath("vmaf", "reference", "src01_160x90_48f__x264crf23.json"), "utf8"));
    expect(doc.frames.length).toBe(48);
    expect(doc.frames[10].frameNum).toBe(10);
    expect(Math.abs(doc.frames[10].metrics.vmaf - ref.frames[10].vmaf)).toBeLessThan(1e-5);
    expect(Object.keys(doc.pooled_metrics.vmaf).sort()).toEqual(["harmonic_mean", "max", "mean", "min"]);
    expect(doc.aggregate_metrics).toEqual({});
    // different lengths: scores the common prefix and says so
    const q = Bun.spawn(
      ["bun", join(SRC, "cli", "main.ts"), "vmaf", "--ref", sharedPath("clips", "bikes_640x272_250f.mp4"), "--dis",
        sharedPath("vmaf", "holdout", "bikes_640x272_60f__x264crf35.mkv"), "--model", MODEL, "--frames", "3", "--quiet"],
      { stdout: "pipe", stderr: "pipe" },
    );
    const [qc, qout, qerr] = await Promise.all([q.exited, new Response(q.stdout).text(), new Response(q.stderr).text()]);
    expect(qc).toBe(0);
    expect(qerr).toMatch(/differ in length/);
    expect(qout).toMatch(/^3 frames/m);
    // a missing input: a clear message and exit code 2
    const r = Bun.spawn(["bun", join(SRC, "cli", "main.ts"), "vmaf", "--ref", join(dir, "nope.mp4"), "--dis", join(dir, "nope2.mp4"), "--model", MODEL], { stdout: "pipe", stderr: "pipe" });
    const [rc, rerr] = await Promise.all([r.exited, new Response(r.stderr).text()]);
    expect(rc).toBe(2);
    expect(rerr).toMatch(/FileError/);
    rmSync(dir, { recursive: true, force: true });
  }, 60000);
});

describeShared("scoreFiles", () => {
  const MODEL = sharedPath("vmaf", "models", "vmaf_v0.6.1.json");
  const NEG = sharedPath("vmaf", "models", "vmaf_v0.6.1neg.json");

  test("10-bit raw reference vs AV1 mkv through VideoReader matches libvmaf; JSON, percentiles, frame limit", async () => {
    const { scoreFiles } = await import("../../src/metrics/score_files");
    const dir = mkdtempSync(join(tmpdir(), "av1gym-sf-"));
    try {
      const expected = JSON.parse(readFileSync(sharedPath("vmaf", "reference", "src01_576x324_3f_10bit__svtav1p8crf40.json"), "utf8"));
      const json = join(dir, "o.json");
      const seen: number[] = [];
      const res = scoreFiles(sharedPath("clips", "src01_576x324_3f_yuv420p10le.yuv"),
        sharedPath("vmaf", "reference", "src01_576x324_3f_10bit__svtav1p8crf40.mkv"),
        { width: 576, height: 324, pixelFormat: "yuv420p10le", models: [MODEL, NEG], psnr: true, percentiles: [50], json, threads: 2, onFrame: (f) => seen.push(f.frameNum) });
      expect(res.scored).toBe(3);
      expect(res.lengthMismatch).toBe(false);
      expect(seen).toEqual([0, 1, 2]);
      for (const f of res.frames) {
        expect(Math.abs(f.vmaf - expected.frames[f.frameNum].vmaf)).toBeLessThan(1e-5);
        expect(Math.abs(f.metrics["vmaf_v0.6.1neg"]! - expected.frames[f.frameNum].vmaf_neg)).toBeLessThan(1e-5);
        expect(Math.abs(f.metrics.psnr_y! - expected.frames[f.frameNum].psnr_y)).toBeLessThan(1e-5);
      }
      const mean = expected.frames.reduce((a: number, f: { vmaf: number }) => a + f.vmaf, 0) / 3;
      expect(res.vmaf.mean).toBeCloseTo(mean, 5);
      expect(res.vmaf.p50).toBeGreaterThanOrEqual(res.vmaf.min);
      expect(res.vmaf.p50).toBeLessThanOrEqual(res.vmaf.max);
      const doc = JSON.parse(readFileSync(json, "utf8"));
      expect(doc.frames.map((f: { frameNum: number }) => f.frameNum)).toEqual([0, 1, 2]);
      expect(doc.pooled_metrics.vmaf.mean).toBeCloseTo(res.vmaf.mean, 5);
      // first N frames only
      const two = scoreFiles(sharedPath("clips", "src01_576x324_3f_yuv420p10le.yuv"),
        sharedPath("vmaf", "reference", "src01_576x324_3f_10bit__svtav1p8crf40.mkv"),
        { width: 576, height: 324, pixelFormat: "yuv420p10le", models: MODEL, frames: 2 });
      expect(two.scored).toBe(2);
      expect(two.frames[1]!.metrics.integer_motion2).toBe(two.frames[1]!.metrics.integer_motion!);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60000);

  test("raw files are scored without loading libav or SVT-AV1, and match libvmaf (subprocess)", async () => {
    const { runIsolated, describeExit } = await import("../helpers/isolated");
    const r = await runIsolated(`
      import { scoreFiles } from "SRC/metrics/score_files.ts";
      const res = scoreFiles(${JSON.stringify(sharedPath("clips", "src01_160x90_48f.yuv"))}, ${JSON.stringify(sharedPath("clips", "src01hrc01_160x90_48f_NFLXdistorted.yuv"))},
        { width: 160, height: 90, models: ${JSON.stringify(MODEL)}, psnr: true, ssim: true });
      const maps = require("node:fs").readFileSync("/proc/self/maps", "utf8");
      const loaded = [...new Set(maps.split("\\n").map((l) => l.split("/").pop()).filter((n) => /^lib(av|sw|Svt|av1gym)/.test(n ?? "")))];
      console.log(JSON.stringify({ loaded, frames: res.frames.map((f) => [f.vmaf, f.metrics.psnr_y, f.metrics.float_ssim]) }));`);
    expect(r.exitCode, describeExit(r)).toBe(0);
    expect(r.result.loaded).toEqual(["libav1gym_metrics.so"]);
    const expected = JSON.parse(readFileSync(sharedPath("vmaf", "reference", "src01_160x90_48f__NFLXhrc01.json"), "utf8")).frames;
    expect(r.result.frames.length).toBe(48);
    r.result.frames.forEach(([vmaf, psnrY, ssimY]: number[], i: number) => {
      expect(Math.abs(vmaf! - expected[i].vmaf)).toBeLessThan(1e-5);
      expect(Math.abs(psnrY! - expected[i].psnr_y)).toBeLessThan(1e-5);
      expect(Math.abs(ssimY! - expected[i].ssim)).toBeLessThan(1e-5);
    });
  }, 60000);

  test("bad inputs: raw without a size, different sizes, missing files, bad options", async () => {
    const { scoreFiles } = await import("../../src/metrics/score_files");
    const raw = sharedPath("clips", "src01_160x90_48f.yuv");
    expect(() => scoreFiles(raw, raw, { models: MODEL })).toThrow(InvalidArgumentError);
    expect(() => scoreFiles(sharedPath("clips", "carphone_176x144_120f.mp4"), raw, { models: MODEL, width: 160, height: 90 })).toThrow(/176x144/);
    expect(() => scoreFiles("/nonexistent.mp4", raw, { models: MODEL })).toThrow(FileError);
    expect(() => scoreFiles(raw, raw, { models: MODEL, width: 160, height: 90, frames: -1 } as never)).toThrow(InvalidArgumentError);
    expect(() => scoreFiles(raw, raw, { models: "/nonexistent-model.json", width: 160, height: 90 })).toThrow(FileError);
  }, 60000);
});
