/**
 * The shim under AddressSanitizer + UndefinedBehaviorSanitizer (scripts/test-sanitized.sh): the tests that feed
 * it hostile input in subprocesses run again against the sanitized build, in a child `bun test`, so that
 * `bun run test` (and so CI, which runs exactly that) checks memory safety, not only the absence of a crash.
 * The libFuzzer harnesses, sanitized themselves, run in test/fuzz.
 */
import { expect, test } from "bun:test";
import { resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..", "..");
// [paths, test-name pattern]: the hostile-input tests, and the metric tests written for the sanitizer
const RUNS: [string[], string][] = [
  [["test/io", "test/codec/encoder_robustness.test.ts", "test/fuzz/vmaf_model_json.test.ts"], "subprocess|fuzz|crash|semi-planar|changes while|damaged|detach|10-bit"],
  [["test/metrics/metrics_api.test.ts"], "sanitizer|subprocess"],
];

test.skipIf(process.env.AV1GYM_SANITIZED === "1")("hostile-input tests pass against the ASan + UBSan build of the shim", async () => {
  for (const [files, pattern] of RUNS) {
    const p = Bun.spawn(["bash", "scripts/test-sanitized.sh", ...files, "-t", pattern], {
      cwd: ROOT, stdout: "pipe", stderr: "pipe", env: { ...process.env, AV1GYM_FUZZ_SECONDS: "0" },
    });
    const [code, out, err] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
    const summary = (out + err).split("\n").filter((l) => /^\s*\d+ (pass|fail)$/.test(l) || l.includes("(fail)") || l.includes("ERROR: AddressSanitizer") || l.includes("runtime error:"));
    expect(code, `${files.join(" ")}:\n${summary.join("\n")}\n${err.slice(-3000)}`).toBe(0);
    expect(summary.some((l) => /^\s*[1-9]\d* pass$/.test(l)), `the sanitized run of ${files.join(" ")} ran no test`).toBe(true);
  }
}, 1_800_000);
