/**
 * Runs a snippet of TypeScript in a fresh `bun` process, for cases that could crash the process (a segfault in
 * native code would otherwise kill the whole test run) or that need a clean process (SVT-AV1's process-wide
 * state). `SRC` in the code names the repository's src/ directory for imports. The environment is inherited,
 * so a sanitizer run (LD_PRELOAD=libasan) covers the child too.
 */
import { resolve } from "node:path";

const SRC = resolve(import.meta.dir, "..", "..", "src");

export interface IsolatedResult {
  exitCode: number | null;
  signalCode: string | number | null;
  stdout: string;
  stderr: string;
  /** The last stdout line parsed as JSON (what the snippet reports), or undefined. */
  result: any;
}

export async function runIsolated(code: string, timeoutMs = 120_000): Promise<IsolatedResult> {
  const p = Bun.spawn(["bun", "-e", code.replaceAll("SRC/", `${SRC}/`)], { stdout: "pipe", stderr: "pipe", timeout: timeoutMs });
  const [stdout, stderr] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  await p.exited;
  let result: any;
  const last = stdout.trim().split("\n").at(-1);
  try {
    result = last ? JSON.parse(last) : undefined;
  } catch {
    result = undefined;
  }
  return { exitCode: p.exitCode, signalCode: p.signalCode, stdout, stderr, result };
}

/** Fails with the child's output when it did not exit cleanly (a crash shows as a signal or a panic). */
export function describeExit(r: IsolatedResult): string {
  return `exit ${r.exitCode} signal ${r.signalCode}\n--- stdout\n${r.stdout.slice(-2000)}\n--- stderr\n${r.stderr.slice(-4000)}`;
}
