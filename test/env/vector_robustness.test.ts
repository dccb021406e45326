// Regression tests for VectorEnv defects a hostile user found (issue 10): close() while a step is in flight
// leaked the workers' encoders (and SVT-AV1's process-wide preset), a batch after one sub-environment failed
// was half-sent, and a VideoReader source was reported as an unknown option key.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { copyFileSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VectorEnv } from "../../src/env/vector/vector_env";
import { FileError, InvalidArgumentError, StateError } from "../../src/core/errors";
import { VideoReader } from "../../src/io/reader";
import { rejection } from "../helpers/rejection";
import { describeExit, runIsolated } from "../helpers/isolated";

setDefaultTimeout(120_000); // Workers and encoders on a loaded 2-core machine

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "av1gym-venv-rob-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function y4m(name: string, pattern: string, frames: number): string {
  const path = join(dir, name);
  const p = Bun.spawnSync(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", `${pattern}=size=128x128:rate=25`, "-frames:v", String(frames), "-pix_fmt", "yuv420p", path], { stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(p.stderr.toString());
  return path;
}

describe("VectorEnv robustness", () => {
  test("close() during a step: the step rejects, and the workers' encoders are gone (another preset opens)", async () => {
    // A fresh process: SVT-AV1's preset rule is process-wide.
    const r = await runIsolated(`
      import { VectorEnv } from "SRC/env/vector/vector_env";
      import { Av1Encoder } from "SRC/codec/av1_encoder";
      const threads = () => (require("node:fs").readdirSync("/proc/self/task")).length;
      const before = threads();
      const venv = await VectorEnv.create({ numEnvs: 2, env: { source: { synth: { width: 256, height: 256, frames: 30 } }, encoder: { preset: 12 } } });
      await venv.reset({ seed: 0 });
      const stepping = venv.step(new Int8Array(2 * 4 * 4)).then(() => "resolved", (e) => e.constructor.name + ": " + e.message);
      await venv.close();
      const step = await stepping;
      let other;
      try { using enc = new Av1Encoder({ width: 128, height: 128, preset: 8 }); other = "opened"; } catch (e) { other = e.constructor.name + ": " + e.message; }
      await Bun.sleep(500);
      console.log(JSON.stringify({ step, other, extraThreads: threads() - before }));`);
    expect(r.exitCode, describeExit(r)).toBe(0);
    expect(r.result.step).toMatch(/^StateError: .*closed during this call/);
    expect(r.result.other).toBe("opened");
    expect(r.result.extraThreads).toBeLessThan(8); // 2 workers' encoders hold dozens of threads
  });

  test("a batch where one sub-environment fails: later steps are refused until reset(), never half-sent", async () => {
    const a = y4m("va.y4m", "testsrc2", 8);
    const b = join(dir, "vb.y4m");
    copyFileSync(a, b);
    const venv = await VectorEnv.create({
      numEnvs: 2,
      env: [
        { source: a, encoder: { preset: 12 }, cacheMB: 0 },
        { source: b, encoder: { preset: 12 }, cacheMB: 0 },
      ],
    });
    try {
      await venv.reset({ seed: 0, options: { start: 0, maxFrames: 8 } });
      const act = new Int8Array(2 * venv.sbRows * venv.sbCols).fill(venv.actionLevels.indexOf(0));
      await venv.step(act);
      renameSync(y4m("vc.y4m", "smptebars", 8), b); // sub-environment 1's source becomes unreadable
      const e1 = await rejection(venv.step(act));
      expect(e1).toBeInstanceOf(FileError);
      expect((e1 as Error).message).toMatch(/^sub-environment 1: /);
      for (let k = 0; k < 3; k++) {
        const e = await rejection(venv.step(act));
        expect(e).toBeInstanceOf(StateError);
        expect((e as Error).message).toMatch(/sub-environments 0 completed the last batch but 1 failed .*call reset\(\) before step\(\)/);
      }
    } finally {
      await venv.close();
    }
  });

  test("a VideoReader as source says to pass a path", async () => {
    const path = y4m("vr.y4m", "testsrc2", 2);
    using reader = new VideoReader(path);
    const e = await rejection(VectorEnv.create({ numEnvs: 1, env: { source: reader as never } }));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toMatch(/source is a VideoReader, which cannot move to a Worker: pass its path/);
  });
});
