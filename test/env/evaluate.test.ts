/** The policy evaluation harness and `av1gym rl-eval`, on a real clip. */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { evaluatePolicy, loadPolicy, ZERO_POLICY, formatEvaluation } from "../../src/env/evaluate";
import { InvalidArgumentError } from "../../src/core/errors";
import { describeShared, sharedPath } from "../helpers/shared";

const ROOT = resolve(import.meta.dir, "..", "..");
const TMP = mkdtempSync(join(tmpdir(), "av1gym-eval-test-"));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));
const CLIP = sharedPath("clips", "carphone_176x144_120f.mp4");

describeShared("evaluatePolicy", () => {
  test("the default against itself is exactly 0 % BD-rate on every metric; a coarser policy costs quality", () => {
    const e = evaluatePolicy({ ...ZERO_POLICY, name: "zero-again" }, { clips: [CLIP], frames: 8 });
    expect(e.policy).toBe("zero-again");
    expect(e.clips[0]!.policy).toEqual(e.clips[0]!.anchor);
    expect(e.average).toEqual({ psnr_y: 0, ssim: 0, vmaf: 0 });
    expect(formatEvaluation(e)).toContain("average BD-rate over 1 clip(s): psnr_y +0.00 %");
    // +24 qindex on every superblock of every frame: fewer bits, lower quality, and a BD-rate that is defined.
    const coarse = evaluatePolicy((_obs, { env }) => new Int8Array(env.sbRows * env.sbCols).fill(env.actionLevels.indexOf(24)), { clips: [CLIP], frames: 8, metrics: ["psnr_y"] });
    const c = coarse.clips[0]!;
    c.policy.forEach((row, i) => {
      expect(row.bytes).toBeLessThan(c.anchor[i]!.bytes);
      expect(row.psnr_y!).toBeLessThan(c.anchor[i]!.psnr_y!);
    });
    expect(typeof c.bdrate.psnr_y).toBe("number");
  }, 120_000);

  test("bad options and bad policies are typed errors", () => {
    expect(() => evaluatePolicy(ZERO_POLICY, { clips: [CLIP], rates: [30, 40, 50] })).toThrow(/at least 4 rate points/);
    expect(() => evaluatePolicy(ZERO_POLICY, { clips: [CLIP], frames: 500 })).toThrow(InvalidArgumentError);
    expect(() => evaluatePolicy({} as never, { clips: [CLIP] })).toThrow(InvalidArgumentError);
  });

  test("av1gym rl-eval loads a policy module and prints JSON (zero vs default: 0)", async () => {
    const mod = join(TMP, "zero_policy.ts");
    writeFileSync(mod, `import { ZERO_POLICY } from ${JSON.stringify(join(ROOT, "src/env/evaluate.ts"))};\nexport default ZERO_POLICY;\n`);
    const p = Bun.spawnSync(["bun", "run", "src/cli/main.ts", "rl-eval", "--policy", mod, "--clip", CLIP, "--frames", "6", "--metrics", "psnr_y", "--json", "-"], { cwd: ROOT });
    expect(p.exitCode).toBe(0);
    const r = JSON.parse(p.stdout.toString());
    expect(r.average.psnr_y).toBe(0);
    expect(r.clips[0].policy).toHaveLength(4);
    const bad = join(TMP, "no_default.ts");
    writeFileSync(bad, "export const x = 1;\n");
    await expect(loadPolicy(bad)).rejects.toThrow(/exports no default/);
    const q = Bun.spawnSync(["bun", "run", "src/cli/main.ts", "rl-eval", "--policy", bad], { cwd: ROOT });
    expect(q.exitCode).toBe(2);
    expect(q.stderr.toString()).toContain("exports no default");
  }, 120_000);
});
