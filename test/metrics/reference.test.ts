/**
 * Accuracy of the metrics against libvmaf 3.2.0's own per-frame results (../shared/vmaf/reference): every
 * pair, 8- and 10-bit. The distorted bitstreams are decoded with the ffmpeg CLI to raw YUV in a temp dir
 * (bit-exact with any conforming decoder). Prints the largest difference per feature. Each pair is scored at every
 * SIMD level the CPU has (portable C, AVX2, AVX-512) and with 2 and 3 threads (frames scored several at once, or
 * split when large), which must all agree exactly.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeShared, sharedPath } from "../helpers/shared";
import { allocI420, chromaSize, type I420Frame } from "../../src/core/frame";
import { VmafScorer } from "../../src/metrics/vmaf";
import { metricsSimdLevel, setMetricsSimd, SIMD_LEVELS } from "../../src/metrics/metrics";

/** Reads a raw yuv420p / yuv420p10le file into frames. */
function readRaw(path: string, w: number, h: number, bitDepth: number, maxFrames = Infinity): I420Frame[] {
  const buf = readFileSync(path);
  const c = chromaSize(w, h);
  const bps = bitDepth > 8 ? 2 : 1;
  const fsize = (w * h + 2 * c.width * c.height) * bps;
  const n = Math.min(maxFrames, Math.floor(buf.length / fsize));
  const frames: I420Frame[] = [];
  for (let i = 0; i < n; i++) {
    const f = allocI420(w, h, bitDepth);
    const bytes = buf.subarray(i * fsize, (i + 1) * fsize);
    const all = bps === 2 ? new Uint16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + fsize)) : new Uint8Array(bytes);
    f.y.set(all.subarray(0, w * h));
    f.u.set(all.subarray(w * h, w * h + c.width * c.height));
    f.v.set(all.subarray(w * h + c.width * c.height, w * h + 2 * c.width * c.height));
    frames.push(f);
  }
  return frames;
}

const FEATURES = ["adm2", "adm_scale0", "adm_scale1", "adm_scale2", "adm_scale3", "vif_scale0", "vif_scale1", "vif_scale2", "vif_scale3", "motion", "motion2"] as const;
const TOL: Record<string, number> = { adm2: 1e-4, vif_scale0: 1e-4, vif_scale1: 1e-4, vif_scale2: 1e-4, vif_scale3: 1e-4, motion2: 1e-3, motion: 1e-3, adm_scale0: 1e-4, adm_scale1: 1e-4, adm_scale2: 1e-4, adm_scale3: 1e-4 };

describeShared("metrics vs libvmaf 3.2.0 references", () => {
  let tmp = "";
  const refDir = sharedPath("vmaf", "reference");
  const pairs = existsSync(refDir) ? readdirSync(refDir).filter((f) => f.endsWith(".json")).sort() : [];
  const maxDiff: Record<string, { d: number; where: string }> = {};
  const note = (k: string, d: number, where: string) => {
    if (!maxDiff[k] || d > maxDiff[k]!.d) maxDiff[k] = { d, where };
  };

  /** Decodes a file to raw YUV once (cached in tmp). */
  function raw(path: string, bitDepth: number): string {
    if (path.endsWith(".yuv")) return path;
    const out = join(tmp, path.split("/").pop()!.replace(/\.\w+$/, `.${bitDepth}.yuv`));
    if (!existsSync(out)) {
      const r = spawnSync("ffmpeg", ["-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", bitDepth > 8 ? "yuv420p10le" : "yuv420p", out]);
      if (r.status !== 0) throw new Error(`ffmpeg failed on ${path}: ${r.stderr}`);
    }
    return out;
  }

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), "av1gym-metrics-"));
  });
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    console.log("[metrics] largest |ours - libvmaf| per metric (JSON values carry 6 decimals):");
    for (const [k, v] of Object.entries(maxDiff)) console.log(`  ${k.padEnd(14)} ${v.d.toExponential(2)}  (${v.where})`);
  });

  for (const name of pairs) {
    test(`${name}`, () => {
      const ref = JSON.parse(readFileSync(join(refDir, name), "utf8"));
      const { width: w, height: h, bit_depth: bd } = ref;
      const refFrames = readRaw(raw(sharedPath(ref.reference), bd), w, h, bd, ref.frame_count);
      const disFrames = readRaw(raw(sharedPath(ref.distorted), bd), w, h, bd, ref.frame_count);
      expect(refFrames.length).toBe(ref.frame_count);
      expect(disFrames.length).toBe(ref.frame_count);
      const score = (threads = 1) => {
        const scorer = new VmafScorer({
          width: w, height: h, bitDepth: bd, psnr: true, ssim: true, msSsim: true, threads,
          models: [sharedPath("vmaf", "models", "vmaf_v0.6.1.json"), sharedPath("vmaf", "models", "vmaf_v0.6.1neg.json")],
        });
        const out = [];
        for (let i = 0; i < refFrames.length; i++) out.push(...scorer.push(refFrames[i]!, disFrames[i]!));
        out.push(...scorer.flush());
        scorer.close();
        return out;
      };
      const results = score(); // the best SIMD level this CPU has
      // threads change neither the numbers nor their order
      expect(score(2)).toEqual(results);
      expect(score(3)).toEqual(results);
      // every lower level (AVX2, portable C) gives the very same numbers, frame by frame, on 1 and 2 threads
      const best = metricsSimdLevel();
      try {
        for (const level of SIMD_LEVELS.slice(0, SIMD_LEVELS.indexOf(best))) {
          setMetricsSimd(level);
          expect(score()).toEqual(results);
          expect(score(2)).toEqual(results);
        }
      } finally {
        setMetricsSimd(true);
      }
      expect(results.map((r) => r.frameNum)).toEqual(refFrames.map((_, i) => i));
      let sumOurs = 0, sumRef = 0, sumOursNeg = 0, sumRefNeg = 0;
      for (const r of results) {
        const e = ref.frames[r.frameNum];
        const where = `${name.replace(".json", "")} #${r.frameNum}`;
        const m = r.metrics;
        const ours: Record<string, number> = {
          adm2: m.integer_adm2!, adm_scale0: m.integer_adm_scale0!, adm_scale1: m.integer_adm_scale1!, adm_scale2: m.integer_adm_scale2!,
          adm_scale3: m.integer_adm_scale3!, vif_scale0: m.integer_vif_scale0!, vif_scale1: m.integer_vif_scale1!,
          vif_scale2: m.integer_vif_scale2!, vif_scale3: m.integer_vif_scale3!, motion: m.integer_motion!, motion2: m.integer_motion2!,
        };
        for (const k of FEATURES) {
          const d = Math.abs(ours[k]! - e[k]);
          note(k, d, where);
          expect(d).toBeLessThanOrEqual(TOL[k]!);
        }
        const dv = Math.abs(r.vmaf - e.vmaf), dn = Math.abs(m["vmaf_v0.6.1neg"]! - e.vmaf_neg);
        note("vmaf", dv, where);
        note("vmaf_neg", dn, where);
        expect(dv).toBeLessThanOrEqual(0.05);
        expect(dn).toBeLessThanOrEqual(0.05);
        sumOurs += r.vmaf, sumRef += e.vmaf, sumOursNeg += m["vmaf_v0.6.1neg"]!, sumRefNeg += e.vmaf_neg;
        for (const [k, ek, tol] of [["psnr_y", "psnr_y", 0.01], ["psnr_cb", "psnr_cb", 0.01], ["psnr_cr", "psnr_cr", 0.01], ["float_ssim", "ssim", 5e-4], ["float_ms_ssim", "ms_ssim", 5e-4]] as const) {
          if (e[ek] === undefined) continue;
          const d = Math.abs(m[k]! - e[ek]);
          note(ek, d, where);
          expect(d).toBeLessThanOrEqual(tol);
        }
      }
      const n = results.length;
      note("vmaf_mean", Math.abs(sumOurs - sumRef) / n, name);
      note("vmaf_neg_mean", Math.abs(sumOursNeg - sumRefNeg) / n, name);
      expect(Math.abs(sumOurs - sumRef) / n).toBeLessThanOrEqual(0.01);
      expect(Math.abs(sumOursNeg - sumRefNeg) / n).toBeLessThanOrEqual(0.01);
    }, 120000);
  }
});
