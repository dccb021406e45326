// Regression tests for encoder defects a hostile user found (issue 10): hooks that detach the buffers C
// reads or writes, an async hook, 10-bit samples out of range, outputs that cannot be written.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Av1Encoder } from "../../src/codec/av1_encoder";
import { synthFrames } from "../../src/io/synth";
import { allocI420 } from "../../src/core/frame";
import { CallbackError, FileError, InvalidArgumentError } from "../../src/core/errors";
import { psnr } from "../../src/metrics/metrics";
import { describeExit, runIsolated } from "../helpers/isolated";

const W = 128, H = 64;

describe("delta-QP hooks that detach buffers", () => {
  // Each case crashed the process (C wrote into freed memory) or lost a packet: run in a subprocess that
  // encodes 12 frames and reports what came back.
  const cases: Record<string, string> = {
    analysis: "analysis.data.buffer.transfer(0)",
    analysisKept: "kept.push(analysis.data.buffer.transfer())",
    offsets: "offsets.buffer.transfer(0)",
    source: "frames[i].y.buffer.transfer(0)",
  };
  for (const [name, detach] of Object.entries(cases)) {
    test(`detaching ${name} inside the hook: no crash, a typed error or a correct packet per frame`, async () => {
      const r = await runIsolated(`
        import { Av1Encoder } from "SRC/codec/av1_encoder";
        import { synthFrames } from "SRC/io/synth";
        const frames = [...synthFrames(${W}, ${H}, 12, 1)];
        const kept = [];
        using enc = new Av1Encoder({ width: ${W}, height: ${H}, preset: 12, recon: true });
        let i = 0;
        let calls = 0;
        enc.onDeltaQ((fi, analysis, offsets) => { offsets.fill(fi % 2 ? 8 : -8); if (calls++ % 3 === 1) ${detach}; });
        const out = [];
        for (i = 0; i < frames.length; i++) {
          try {
            const pk = enc.encode(frames[i].y.buffer.detached ? [...synthFrames(${W}, ${H}, i + 1, 1)][i] : frames[i]);
            out.push(pk.length === 1 && pk[0].pts === enc.framesEncoded - 1 && pk[0].recon.psnr.y > 25 ? "ok" : "bad " + JSON.stringify(pk.map((p) => p.pts)));
          } catch (e) { out.push(e.constructor.name + ": " + e.message); }
          if (typeof Bun !== "undefined") Bun.gc(true);
        }
        console.log(JSON.stringify({ out, framesEncoded: enc.framesEncoded, analysisLen: enc.lastAnalysis?.data.length }));`);
      expect(r.exitCode, describeExit(r)).toBe(0);
      const { out, framesEncoded, analysisLen } = r.result;
      expect(out, JSON.stringify(out)).toHaveLength(12);
      const oks = out.filter((o: string) => o === "ok").length;
      // every frame either came back as its own packet or was refused with a CallbackError naming the detach
      for (const o of out) if (o !== "ok") expect(o).toMatch(/^CallbackError: the onDeltaQ hook detached (the offsets buffer|the source frame's planes) on frame \d+/);
      expect(framesEncoded).toBe(oks); // no frame counted without its packet
      if (name.startsWith("analysis")) expect(oks).toBe(12); // the analysis buffer is replaced, nothing lost
      else expect(oks, JSON.stringify(out)).toBe(8);
      expect(analysisLen).toBe(2 * 1 * 7);
    });
  }

  test("an async hook is told it must be synchronous", () => {
    using enc = new Av1Encoder({ width: W, height: H, preset: 12 });
    enc.onDeltaQ((async () => {}) as never);
    const [f] = synthFrames(W, H, 1, 1);
    expect(() => enc.encode(f!)).toThrow(/returned a Promise .* must be synchronous/);
    enc.onDeltaQ(null);
    expect(enc.encode(f!)).toHaveLength(1);
  });
});

describe("10-bit samples above 1023", () => {
  const p010 = () => {
    const f = allocI420(W, H, 10);
    f.y.fill(512 << 6);
    f.u.fill(512 << 6);
    f.v.fill(512 << 6);
    return f;
  };
  test("the encoder refuses them with InvalidArgumentError naming the sample (P010 hint)", () => {
    using enc = new Av1Encoder({ width: W, height: H, preset: 12, bitDepth: 10 });
    expect(() => enc.encode(p010())).toThrow(InvalidArgumentError);
    expect(() => enc.encode(p010())).toThrow(/plane y: sample 32768 at \(0, 0\) is above 1023.*P010-style/);
    const ok = allocI420(W, H, 10);
    ok.y.fill(1023);
    expect(enc.encode(ok)).toHaveLength(1); // still usable
  });
  test("the metrics refuse them too", () => {
    const good = allocI420(W, H, 10);
    const bad = allocI420(W, H, 10);
    bad.v[bad.v.length - 1] = 1024;
    expect(() => psnr(good, bad)).toThrow(/distorted v: sample 1024 at \(63, 31\) is above 1023/);
    expect(psnr(good, good).y).toBeGreaterThan(70);
  });
});

describe("outputs that cannot be written", () => {
  test("a NUL byte in the output path is refused, nothing is written to the truncated path", () => {
    const dir = mkdtempSync(join(tmpdir(), "av1gym-nul-"));
    try {
      expect(() => new Av1Encoder({ width: W, height: H, output: join(dir, "a.ivf\0.txt") })).toThrow(InvalidArgumentError);
      expect(() => statSync(join(dir, "a.ivf"))).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  test("a full device (/dev/full) is a FileError at open", () => {
    expect(() => new Av1Encoder({ width: W, height: H, output: "/dev/full" })).toThrow(/No space left on device/);
  });
  test("a disk that fills mid-stream is a FileError from the encode that hit it", async () => {
    // A file-size limit (SIGXFSZ ignored) fails writes the way a full disk does, at a known size.
    const dir = mkdtempSync(join(tmpdir(), "av1gym-full-"));
    try {
      const code = `
        import { Av1Encoder } from "${join(import.meta.dir, "..", "..", "src")}/codec/av1_encoder";
        import { synthFrames } from "${join(import.meta.dir, "..", "..", "src")}/io/synth";
        using enc = new Av1Encoder({ width: 256, height: 128, preset: 12, qp: 5, output: "${dir}/out.ivf" });
        let n = 0;
        try { for (const f of synthFrames(256, 128, 200, 3)) { enc.encode(f); n++; } console.log(JSON.stringify({ n, err: null })); }
        catch (e) { console.log(JSON.stringify({ n, err: e.constructor.name + ": " + e.message })); }`;
      const p = Bun.spawnSync(["bash", "-c", `ulimit -f 64; trap '' XFSZ; exec bun -e "$0"`, code], { stdout: "pipe", stderr: "pipe" });
      expect(p.exitCode, p.stderr.toString()).toBe(0);
      const res = JSON.parse(p.stdout.toString().trim().split("\n").at(-1)!);
      expect(res.err).toMatch(/^FileError: .*IVF write failed: File too large/);
      expect(res.n).toBeGreaterThan(0);
      expect(res.n).toBeLessThan(200);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("errors a person can act on", () => {
  test("a frame rate below SVT-AV1's 1/256 fps is an InvalidArgumentError that says the limit", () => {
    expect(() => new Av1Encoder({ width: W, height: H, fps: { num: 1, den: 400 } })).toThrow(/at least 1\/256 frame per second .*got 1\/400/);
    using ok = new Av1Encoder({ width: W, height: H, fps: { num: 1, den: 256 }, preset: 12 });
    expect(ok.closed).toBe(false);
  });
  test("string or fractional numbers are reported as what they are", () => {
    const f = allocI420(W, H);
    using enc = new Av1Encoder({ width: W, height: H, preset: 12 });
    expect(() => enc.encode({ ...f, strideY: 128.5 })).toThrow(/strideY must be an integer number of samples \(got 128.5\)/);
    expect(() => enc.encode({ ...f, width: "128" as never })).toThrow(/got width "128" \(a string\)/);
  });
});
