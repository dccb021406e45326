/**
 * Access to ../shared (real clips and VMAF references). It is not part of the project: tests that need it
 * use `describeShared`, which skips them with a clear message when it is missing so a fresh clone passes.
 */
import { describe } from "bun:test";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

export const SHARED_DIR = resolve(import.meta.dir, "..", "..", "..", "shared");
export const HAVE_SHARED = existsSync(join(SHARED_DIR, "clips"));

/** Path of a file under ../shared, e.g. sharedPath("clips", "bikes_640x272_250f.mp4"). */
export function sharedPath(...parts: string[]): string {
  return join(SHARED_DIR, ...parts);
}

let warned = false;
/** `describe` for tests that read ../shared; skipped (with one message) when it is absent. */
export function describeShared(name: string, fn: () => void): void {
  if (!HAVE_SHARED && !warned) {
    warned = true;
    console.warn(`[av1gym tests] ${SHARED_DIR} not found: skipping the tests on real clips and VMAF references`);
  }
  describe.skipIf(!HAVE_SHARED)(name, fn);
}
