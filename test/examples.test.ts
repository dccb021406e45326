/** The examples and the demo run end to end (short versions, each in a subprocess). */
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HAVE_SHARED } from "./helpers/shared";

const ROOT = join(import.meta.dir, "..");

async function run(file: string, args: string[] = [], env: Record<string, string> = {}) {
  const proc = Bun.spawn(["bun", "run", file, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) console.error(err);
  return { out, code };
}

test("examples/random.ts and examples/heuristic.ts run an episode", async () => {
  for (const [file, name] of [["examples/random.ts", "random"], ["examples/heuristic.ts", "heuristic"]] as const) {
    const { out, code } = await run(file, ["5"]);
    expect(code).toBe(0);
    expect(out.match(/^step \d+: reward -?\d/gm)?.length).toBe(5);
    expect(out).toMatch(new RegExp(`${name} policy: episode reward -?\\d+\\.\\d+ over 5 frames`));
  }
}, 120_000);

test("examples/train.ts learns: the final mean policy beats the first population's mean reward", async () => {
  const { out, code } = await run("examples/train.ts", [], { AV1GYM_TRAIN_ITERS: "5", AV1GYM_TRAIN_POP: "8" });
  expect(code).toBe(0);
  const result = JSON.parse(out.trim().split("\n").pop()!);
  expect(result.curve).toHaveLength(5);
  expect(out).toContain("iteration  mean_reward  best_reward  mean_policy_reward");
  expect(result.final).toBeGreaterThan(result.curve[0].mean);
  // The best policy seen never gets worse than the zero policy evaluated first (slot 0 of iteration 0).
  expect(Math.max(...result.curve.map((c: { best: number }) => c.best))).toBeGreaterThanOrEqual(result.curve[0].policy);
}, 120_000);

// The trainer draws its windows from the real training clips in ../shared.
test.skipIf(!HAVE_SHARED)("examples/train_frame_qp.ts only improves: the best fitness never falls below the default's and is saved as JSON", async () => {
  const dir = mkdtempSync(join(tmpdir(), "av1gym-train-fqp-"));
  try {
    const out = join(dir, "w.json");
    const { out: text, code } = await run("examples/train_frame_qp.ts", [out], {
      AV1GYM_TRAIN_ITERS: "2", AV1GYM_TRAIN_POP: "3", AV1GYM_TRAIN_FRAMES: "8", AV1GYM_HELDOUT_EVERY: "2", AV1GYM_HELDOUT_FRAMES: "6",
    });
    expect(code).toBe(0);
    const result = JSON.parse(text.trim().split("\n").pop()!);
    const saved = JSON.parse(await Bun.file(out).text());
    expect(saved.weights).toEqual(result.weights);
    expect(saved.inputs.length).toBe(result.weights.length);
    const best = result.curve.map((c: { best: number }) => c.best);
    for (let i = 1; i < best.length; i++) expect(best[i]).toBeGreaterThanOrEqual(best[i - 1]);
    expect(best[0]).toBeGreaterThanOrEqual(saved.trained.start_fitness);
    expect(typeof result.curve[1].heldout_bdrate_psnr_y).toBe("number"); // the held-out check ran
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 300_000);

test("demo/main.ts compares the heuristic with a random policy", async () => {
  const { out, code } = await run("demo/main.ts", [], { AV1GYM_DEMO_FRAMES: "6" });
  expect(code).toBe(0);
  expect(out).toMatch(/heuristic: episode reward -?[\d.]+, \d+ bytes, mean PSNR-Y [\d.]+ dB, \d+ steps\/s/);
  expect(out).toMatch(/random: episode reward/);
  expect(out).toMatch(/^heuristic -?[\d.]+ vs random -?[\d.]+ .*: (heuristic|random) wins by [\d.]+$/m);
}, 120_000);

test("examples/reinforce.ts (the README's training loop) runs and prints one return per episode", async () => {
  const { out, code } = await run("examples/reinforce.ts", [], { AV1GYM_TRAIN_ITERS: "3" });
  expect(code).toBe(0);
  const lines = out.trim().split("\n");
  expect(lines).toHaveLength(3);
  for (const [i, l] of lines.entries()) expect(l).toMatch(new RegExp(`^${i} -?\\d+\\.\\d{3}$`));
}, 120_000);

test("examples/encode_hook.ts encodes with the variance hook and with zero offsets into two playable IVF files", async () => {
  const dir = mkdtempSync(join(tmpdir(), "av1gym-hook-example-"));
  try {
    const { out, code } = await run("examples/encode_hook.ts", ["6", dir]);
    expect(code).toBe(0);
    expect(out.match(/^ +\d+ +\d+ +\d+\.\d\d +\d+ +\d+\.\d\d$/gm)?.length).toBe(6);
    const summary = out.trim().split("\n").at(-1)!;
    expect(summary).toMatch(/^variance hook: \d+ bytes, [\d.]+ dB \| zero offsets: \d+ bytes/);
    for (const name of ["variance_hook", "zero_offsets"]) {
      const probe = Bun.spawnSync(["ffprobe", "-v", "error", "-count_frames", "-show_entries", "stream=codec_name,nb_read_frames", "-of", "csv=p=0", join(dir, `${name}.ivf`)]);
      expect(probe.stdout.toString().trim()).toBe("av1,6");
    }
    // The hook really changed the encode: the two streams differ in size.
    const sizes = [...summary.matchAll(/(\d+) bytes/g)].map((m) => Number(m[1]));
    expect(sizes[0]).not.toBe(sizes[1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
