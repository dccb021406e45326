/**
 * The set-up's output as a user sees it: one line per stage, the compiler's errors in full when the shim does not
 * compile, only what changed recompiled, and nothing printed when there is nothing to do.
 */
import { afterAll, expect, test } from "bun:test";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, existsSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..", "..");
const tmp = mkdtempSync(join(tmpdir(), "av1gym-build-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(script: string, cwd: string): { code: number; stderr: string } {
  const p = Bun.spawnSync(["bash", script], {
    cwd,
    env: { ...process.env, AV1GYM_PACKAGES_CHECKED: "1", AV1GYM_SETUP_LOG_OPEN: "" },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: p.exitCode ?? -1, stderr: p.stderr.toString() };
}

test("a set-up with nothing to do prints nothing", () => {
  run("scripts/setup.sh", ROOT); // whatever the first run has to do
  const again = run("scripts/setup.sh", ROOT);
  expect(again.stderr).toBe("");
  expect(again.code).toBe(0);
});

test("the shim stage shows the compiler's errors in full, then rebuilds only what changed", () => {
  // A project with the real scripts and header, two sources of its own, and this checkout's SVT-AV1.
  const proj = join(tmp, "proj");
  cpSync(join(ROOT, "scripts"), join(proj, "scripts"), { recursive: true });
  cpSync(join(ROOT, "lib", "include"), join(proj, "lib", "include"), { recursive: true });
  mkdirSync(join(proj, "lib", "build"), { recursive: true });
  symlinkSync(join(ROOT, "lib", "build", "svt"), join(proj, "lib", "build", "svt"));
  mkdirSync(join(proj, "lib", "core"), { recursive: true });
  const fine = join(proj, "lib", "core", "fine.c");
  const broken = join(proj, "lib", "core", "broken.c");
  writeFileSync(fine, '#include "av1gym.h"\nint fine_value(void) { return 1; }\n');
  writeFileSync(broken, '#include "av1gym.h"\nint broken_value(void) { return undefined_thing; }\n');

  const first = run("scripts/build-svt.sh", proj);
  expect(first.code).not.toBe(0);
  expect(first.stderr).toMatch(/^\[setup\] shim \(2 of 2 sources compiled\) … failed after [\d.]+ s$/m);
  expect(first.stderr).toContain("lib/core/broken.c:2:");
  expect(first.stderr).toMatch(/error: .undefined_thing. undeclared/); // the quotes follow the locale
  expect(first.stderr).toContain("[setup] error: the shim did not compile");
  expect(existsSync(join(proj, "lib", "build", "libav1gym.so"))).toBe(false);

  writeFileSync(broken, '#include "av1gym.h"\nint broken_value(void) { return 2; }\n');
  const fixed = run("scripts/build-svt.sh", proj);
  expect(fixed.code).toBe(0);
  expect(fixed.stderr).toMatch(/^\[setup\] shim \(1 of 2 sources compiled\) … [\d.]+ s$/m);
  expect(existsSync(join(proj, "lib", "build", "libav1gym.so"))).toBe(true);

  expect(run("scripts/build-svt.sh", proj).stderr).toBe("");

  // A header both include is newer: both recompile.
  const later = new Date(Date.now() + 2000);
  utimesSync(join(proj, "lib", "include", "av1gym.h"), later, later);
  expect(run("scripts/build-svt.sh", proj).stderr).toMatch(/^\[setup\] shim \(2 of 2 sources compiled\) … [\d.]+ s$/m);
});
