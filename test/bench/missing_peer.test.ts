/**
 * `bun run bench` without a peer: each measurement that needs it prints a line that says so, none vanishes.
 * (The reader bench's peer is the ffmpeg CLI; here it runs with a PATH that has Bun and nothing else.)
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { HAVE_SHARED } from "../helpers/shared";

const ROOT = resolve(import.meta.dir, "..", "..");
const bin = mkdtempSync(join(tmpdir(), "av1gym-bun-only-"));
afterAll(() => rmSync(bin, { recursive: true, force: true }));

test("the reader bench without the ffmpeg CLI prints one skipped line per measurement", () => {
  symlinkSync(process.execPath, join(bin, "bun"));
  const p = Bun.spawnSync(["bun", "run", "bench/io/reader.bench.ts"], {
    cwd: ROOT,
    env: { ...process.env, PATH: bin },
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(p.exitCode).toBe(0);
  const lines = p.stdout.toString().trim().split("\n").map((l) => JSON.parse(l));
  // two sequential measurements (1 and 2 threads) per clip, plus random access on the generated clip
  const clips = HAVE_SHARED ? 3 : 1;
  expect(lines.length).toBe(2 * clips + 1);
  for (const l of lines) expect(l).toMatchObject({ peer: null, skipped: "ffmpeg CLI not found" });
  expect(lines.map((l) => l.bench)).toContain("reader.random_access_exact");
});
