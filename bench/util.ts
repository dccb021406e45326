/** Shared by the benchmarks: the JSON line format and small timing helpers. */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "..");
export const SHARED_DIR = resolve(ROOT, "..", "shared");
export const HAVE_SHARED = existsSync(join(SHARED_DIR, "clips"));
export const SVT_APP = join(ROOT, "lib", "build", "svt", "bin", "SvtAv1EncApp");

// The peers. `bun run bench` installs them (scripts/setup.sh: ffmpeg from apt, SvtAv1EncApp built with SVT-AV1);
// a bench run without them says which measurement it could not make, rather than printing nothing.
export const HAVE_SVT_APP = existsSync(SVT_APP);
export const HAVE_FFMPEG = Bun.which("ffmpeg") !== null;
export const MISSING = {
  svtApp: `SvtAv1EncApp not found (${SVT_APP}; run bash scripts/setup.sh)`,
  ffmpeg: "ffmpeg CLI not found",
  shared: `${SHARED_DIR} not found`,
} as const;

export interface BenchLine {
  bench: string;
  clip?: string;
  ours: number;
  /** null: the peer is missing (say why in `peer_missing`) */
  peer?: number | null;
  unit: string;
  ratio?: number;
  [extra: string]: unknown;
}

/** Prints one measurement as a JSON line; the ratio is ours/peer (or peer/ours for time units). */
export function report(line: BenchLine): void {
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const out: BenchLine = { ...line, ours: round(line.ours) };
  if (line.peer !== undefined && line.peer !== null) {
    out.peer = round(line.peer);
    const lowerIsBetter = /^(ms|s|us|ns)(\/|$)/.test(line.unit);
    out.ratio = round(lowerIsBetter ? line.peer / line.ours : line.ours / line.peer);
  }
  console.log(JSON.stringify(out));
}

/** Measurements that could not be made at all (their peer or input is missing): one line each that says so. */
export function skipped(benches: { bench: string; clip?: string }[], reason: string): void {
  for (const b of benches) console.log(JSON.stringify({ ...b, peer: null, skipped: reason }));
}

/** Wall time of fn in seconds. */
export async function time(fn: () => unknown | Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/** Best of n runs (seconds): the least disturbed measurement on a shared 2-core machine. */
export async function bestOf(n: number, fn: () => unknown | Promise<unknown>): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < n; i++) best = Math.min(best, await time(fn));
  return best;
}
