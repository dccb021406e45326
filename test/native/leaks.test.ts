/**
 * No native leak: test/native/leaks-child.ts opens, uses and closes every kind of native handle (encoders,
 * decoder, reader, muxers, VMAF models and scorer, metrics, the Env), on success and on error paths, two
 * rounds, under the ASan build with LeakSanitizer (scripts/test-sanitized.sh --leaks --run), and checks for leaks
 * after the first round and after the second. A last check after leaking one config handle on purpose shows the
 * detector works. Suppressed: only leaks inside libx265 itself (test/native/lsan.supp says why).
 */
import { expect, test } from "bun:test";
import { resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..", "..");

test.skipIf(process.env.AV1GYM_SANITIZED === "1")("no native leak after closing every kind of handle, on success and error paths (LeakSanitizer)", async () => {
  const p = Bun.spawn(["bash", "scripts/test-sanitized.sh", "--leaks", "--run", "test/native/leaks-child.ts"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const [code, out, err] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
  const checks = Object.fromEntries([...out.matchAll(/^leak check (\d): (\d)$/gm)].map((m) => [m[1], Number(m[2])]));
  expect(code, err.slice(-4000)).toBe(0);
  expect(checks["1"], `after one round:\n${err.slice(-6000)}`).toBe(0);
  expect(checks["2"], `after two rounds:\n${err.slice(-6000)}`).toBe(0);
  expect(checks["3"], "the deliberate leak was not reported: the leak checks prove nothing").toBe(1);
  expect(err).toContain("ag_config_new");
}, 300_000);
