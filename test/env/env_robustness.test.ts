// Regression tests for Env defects a hostile user found (issue 10): the baseline cache keyed by path, a step
// that fails after its frame was encoded, a source that becomes unreadable, keyInt 1.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Env } from "../../src/env/env";
import { frameMetricDistortion } from "../../src/env/reward";
import { EpisodeEndedError, FileError } from "../../src/core/errors";
import { psnr } from "../../src/metrics/metrics";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "av1gym-env-rob-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A small Y4M (lossless, exact) of an ffmpeg test pattern. */
function y4m(name: string, pattern: string, frames = 4): string {
  const path = join(dir, name);
  const p = Bun.spawnSync(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", `${pattern}=size=128x128:rate=25`, "-frames:v", String(frames), "-pix_fmt", "yuv420p", path], { stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(p.stderr.toString());
  return path;
}

const zeros = (env: Env) => new Int8Array(env.sbRows * env.sbCols).fill(env.actionLevels.indexOf(0));

describe("Env robustness", () => {
  test("the baseline cache follows the file's content, not its path: rewrite the file, the zero action still scores 0", () => {
    const path = join(dir, "rewritten.y4m");
    renameSync(y4m("a.y4m", "testsrc2"), path);
    const run = () => {
      using env = new Env({ source: path, encoder: { preset: 12 }, reward: { mode: "baseline", distortion: "psnr" } });
      env.reset({ seed: 0 });
      const rewards: number[] = [];
      for (let i = 0; i < 4; i++) rewards.push(env.step(zeros(env))[1]);
      return rewards;
    };
    expect(run()).toEqual([0, 0, 0, 0]);
    renameSync(y4m("b.y4m", "mandelbrot"), path); // other content at the same path
    expect(run()).toEqual([0, 0, 0, 0]);
  });

  test("a step whose distortion throws after the frame was encoded ends the episode explicitly (no frame encoded twice)", () => {
    let calls = 0;
    const flaky = frameMetricDistortion("flaky_psnr", (s, r) => {
      if (++calls === 3) throw new Error("metric failed");
      return -psnr(s, r).y;
    });
    using env = new Env({ source: { synth: { width: 128, height: 128, frames: 8 } }, encoder: { preset: 12 }, reward: { distortion: flaky } });
    env.reset({ seed: 1 });
    env.step(zeros(env));
    env.step(zeros(env));
    expect(() => env.step(zeros(env))).toThrow("metric failed");
    expect(env.stepCount).toBe(2);
    expect(() => env.step(zeros(env))).toThrow(EpisodeEndedError);
    expect(() => env.step(zeros(env))).toThrow(/ended at step 2 because a step failed after its frame was encoded \(Error: metric failed\)/);
    // a new episode encodes from scratch and is identical to one that never failed
    env.reset({ seed: 1 });
    const hashes: bigint[] = [];
    for (let i = 0; i < 4; i++) {
      env.step(zeros(env));
      hashes.push(env.bitstreamHash);
    }
    using ref = new Env({ source: { synth: { width: 128, height: 128, frames: 8 } }, encoder: { preset: 12 }, reward: { distortion: "psnr" } });
    ref.reset({ seed: 1 });
    for (let i = 0; i < 4; i++) {
      ref.step(zeros(ref));
      expect(ref.bitstreamHash).toBe(hashes[i]!);
    }
  });

  test("a source that becomes unreadable fails the step before encoding: the episode is exactly as it was", () => {
    const path = join(dir, "vanishing.y4m");
    renameSync(y4m("c.y4m", "testsrc2", 8), path);
    using env = new Env({ source: path, encoder: { preset: 12 }, cacheMB: 0 });
    env.reset({ seed: 0, options: { start: 0, maxFrames: 8 } });
    env.step(zeros(env)); // frames 0 and 1 are decoded
    env.step(zeros(env)); // frames 1 and 2
    const hash = env.bitstreamHash;
    renameSync(y4m("d.y4m", "smptebars", 8), path); // the reader refuses the replaced file
    for (let k = 0; k < 2; k++) {
      expect(() => env.step(zeros(env))).toThrow(FileError);
      expect(env.stepCount).toBe(2);
      expect(env.bitstreamHash).toBe(hash);
    }
  });

  test("keyInt 1: every frame is a key frame, as the observation says", () => {
    using env = new Env({ source: { synth: { width: 128, height: 128, frames: 6 } }, encoder: { preset: 12, keyInt: 1 } });
    let [obs] = env.reset({ seed: 0 });
    for (let i = 0; i < 6; i++) {
      expect(obs.frame[1]).toBe(1); // "next frame is a key frame"
      const [next, , , , info] = env.step(zeros(env));
      expect(info.frameType).toBe("KEY");
      expect(info.isKey).toBe(true);
      obs = next;
    }
  });
});
