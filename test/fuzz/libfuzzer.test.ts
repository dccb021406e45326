// The libFuzzer harnesses (test/fuzz/fuzz_*.c, built with clang, ASan and UBSan by scripts/build-fuzz.sh):
// every committed seed and regression input replays cleanly, then each harness fuzzes for a short while
// ($AV1GYM_FUZZ_SECONDS, default 30, all harnesses at once; 0 skips that part). Long campaigns:
// scripts/fuzz-campaign.sh. Skipped with a message when clang is not installed.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..", "..");
const HARNESSES = ["reader", "raw_y4m", "ivf", "obu", "vmaf_model", "h26x", "codec_string"];
const HAVE_CLANG = Bun.spawnSync(["sh", "-c", "command -v clang"]).exitCode === 0;
const SECONDS = Number(process.env.AV1GYM_FUZZ_SECONDS ?? 30);
if (!HAVE_CLANG) console.warn("[av1gym tests] clang not found: skipping the libFuzzer harnesses (apt-get install clang)");

let built: string | null = null;
function build(): string {
  if (built) return built;
  const p = Bun.spawnSync(["bash", join(ROOT, "scripts", "build-fuzz.sh")], { stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`scripts/build-fuzz.sh failed:\n${p.stderr.toString().slice(-4000)}`);
  built = p.stdout.toString().trim().split("\n").at(-1)!;
  return built;
}

// A libFuzzer run: exit 0, or the report (ASan/UBSan/deadly signal/timeout) and the input that caused it.
async function fuzz(name: string, args: string[], timeoutMs: number): Promise<{ code: number | null; log: string }> {
  const p = Bun.spawn([join(build(), `fuzz_${name}`), ...args], { stdout: "pipe", stderr: "pipe", timeout: timeoutMs, env: { ...process.env, LD_PRELOAD: "" } });
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  await p.exited;
  return { code: p.exitCode, log: (out + err).slice(-6000) };
}

describe.skipIf(!HAVE_CLANG)("libFuzzer harnesses (ASan + UBSan)", () => {
  test("build", () => {
    for (const h of HARNESSES) expect(existsSync(join(build(), `fuzz_${h}`))).toBe(true);
  }, 900_000);

  for (const h of HARNESSES) {
    test(`${h}: the seed corpus and the regression inputs replay without a report`, async () => {
      const seeds = join(import.meta.dir, "corpus", h);
      const regressions = readdirSync(join(import.meta.dir, "regressions")).filter((f) => f.startsWith(`${h}-`)).map((f) => join(import.meta.dir, "regressions", f));
      const r = await fuzz(h, ["-runs=0", seeds], 300_000);
      expect(r.code, r.log).toBe(0);
      if (regressions.length) {
        const rr = await fuzz(h, regressions, 300_000);
        expect(rr.code, rr.log).toBe(0);
      }
    }, 600_000);
  }

  test.skipIf(!(SECONDS > 0))(`every harness fuzzes for ${SECONDS} s without a report`, async () => {
    const work = mkdtempSync(join(tmpdir(), "av1gym-fuzz-"));
    try {
      for (const h of HARNESSES) mkdirSync(join(work, h));
      const runs = HARNESSES.map((h) =>
        fuzz(h, [join(work, h), join(import.meta.dir, "corpus", h), `-max_total_time=${SECONDS}`, "-timeout=60", "-rss_limit_mb=2048", `-artifact_prefix=${work}/${h}-`, "-print_final_stats=1"], (SECONDS + 120) * 1000),
      );
      const results = await Promise.all(runs);
      results.forEach((r, i) => expect(r.code, `fuzz_${HARNESSES[i]}:\n${r.log}`).toBe(0));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, (SECONDS + 300) * 1000);
});
