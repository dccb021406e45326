/**
 * `av1gym vmaf` checks its own arguments and calls the scorer without the library's option schema, so that its
 * start-up never loads zod: these tests hold it to the same results and the same refusals as `scoreFiles`.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { scoreFiles } from "../../src/metrics/score_files";

const CLI = join(import.meta.dir, "..", "..", "src", "cli", "main.ts");
const dir = mkdtempSync(join(tmpdir(), "av1gym-vmaf-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// two 64x48 yuv420p frames: a gradient and the same with a deterministic disturbance
const W = 64, H = 48, FRAME = (W * H * 3) / 2;
const ref = new Uint8Array(2 * FRAME), dis = new Uint8Array(2 * FRAME);
for (let i = 0; i < ref.length; i++) {
  ref[i] = (i * 7 + (i >> 6) * 3) & 0xff;
  dis[i] = Math.min(255, ref[i]! + ((i * 2654435761) >>> 29));
}
const REF = join(dir, "ref.yuv"), DIS = join(dir, "dis.yuv");
writeFileSync(REF, ref);
writeFileSync(DIS, dis);
const SIZE = ["--width", String(W), "--height", String(H)];

const run = (...args: string[]) => Bun.spawnSync(["bun", CLI, "vmaf", ...args], { stdout: "pipe", stderr: "pipe" });

test("the command's per-frame scores are scoreFiles' scores", () => {
  const json = join(dir, "out.json");
  const r = run("--ref", REF, "--dis", DIS, ...SIZE, "--psnr", "--percentiles", "5,50", "--json", json, "--quiet");
  expect(r.stderr.toString()).toBe("");
  expect(r.exitCode).toBe(0);
  const out = JSON.parse(readFileSync(json, "utf8"));
  const lib = scoreFiles(REF, DIS, { width: W, height: H, psnr: true, percentiles: [5, 50] });
  // libvmaf's JSON layout has 6 decimals
  const six = (x: number) => Number(x.toFixed(6));
  expect(out.frames.map((f: { metrics: { vmaf: number; psnr_y: number } }) => [f.metrics.vmaf, f.metrics.psnr_y])).toEqual(
    lib.frames.map((f) => [six(f.vmaf), six(f.metrics.psnr_y!)]),
  );
  expect(r.stdout.toString()).toContain(`p5=${lib.vmaf.p5!.toFixed(4)}`);
});

test("what the library's schema refuses, the command refuses with its usage and exit code 2", () => {
  for (const [args, msg] of [
    [["--percentiles", "5,101"], "--percentiles must be numbers from 0 to 100"],
    [["--percentiles", "5,"], "--percentiles must be numbers from 0 to 100"],
    [["--percentiles", "x"], "--percentiles must be numbers from 0 to 100"],
    [["--threads", "65"], "--threads must be at most 64"],
    [["--threads", "0"], "--threads must be a positive integer"],
    [["--model", ""], "--model needs a path"],
  ] as const) {
    const r = run("--ref", REF, "--dis", DIS, ...SIZE, ...args);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.toString()).toContain(msg);
    expect(r.stderr.toString()).toContain("usage: av1gym vmaf");
  }
});

test("scoring from the command line loads no zod and imports no node: module (its start-up budget)", () => {
  // the command, run in-process, then the list of modules it loaded
  const probe = `process.argv = [process.argv[0], "av1gym", "vmaf", "--ref", ${JSON.stringify(REF)}, "--dis", ${JSON.stringify(DIS)}, "--width", "${W}", "--height", "${H}", "--quiet"];
    await import(${JSON.stringify(CLI)});
    console.log("MODULES " + JSON.stringify(Object.keys(require.cache)));`;
  const r = Bun.spawnSync(["bun", "-e", probe], { stdout: "pipe", stderr: "pipe" });
  expect(r.exitCode).toBe(0);
  const modules: string[] = JSON.parse(r.stdout.toString().split("MODULES ")[1]!);
  expect(modules.some((m) => m.includes("score_files"))).toBe(true);
  expect(modules.filter((m) => m.includes("/node_modules/"))).toEqual([]);
  // importing any node: module costs several ms of start-up (node:fs ~10 ms): none of the loaded files does
  const nodeImports = modules.filter((m) => m.includes("/src/") && /^import [^;]* from "node:/m.test(readFileSync(m, "utf8")));
  expect(nodeImports).toEqual([]);
});
