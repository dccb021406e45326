/**
 * Subprocess for test/reader.test.ts: reads untrusted files through VideoReader so that a crash kills this
 * process, not the test run. Argument: a JSON job.
 * - { mode: "cases", cases: [{ path, options? }] }: opens, iterates and prints one JSON line per case with
 *   the error class (or "ok"), the message, and the frame counts.
 * - { mode: "fuzz", source, seeds: [a, b], dir, options?, crashAt?, hangAt? }: for each seed writes a mutated copy of `source`
 *   into `dir` (same seed => same file), reads it (open, metadata, iterate, a few random frame(i)), prints
 *   "START <seed> <path>" before and "DONE <seed> <result>" after, and deletes it. An error that is not one
 *   of av1gym's typed errors prints "BADERROR" and exits 3.
 */
import { readFileSync, writeFileSync, unlinkSync } from "node:fs";
import { join, extname } from "node:path";
import { VideoReader, type ReaderOptions } from "../../src/io/reader";
import { Av1GymError } from "../../src/core/errors";
import { Rng } from "../../src/core/rng";

/** A uniform [0, 1) source seeded so every mutated file can be rebuilt from its seed. */
export function prng(seed: number): () => number {
  const gen = new Rng(seed);
  return () => gen.float();
}

/** A mutated copy of src: byte flips, truncation, inserted garbage, a zeroed or duplicated range. */
export function mutate(src: Uint8Array, seed: number): Uint8Array {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  let out = Uint8Array.from(src);
  const kind = seed % 5;
  if (kind === 0) {
    const flips = 1 + int(40);
    for (let k = 0; k < flips; k++) out[int(out.length)] = int(256);
  } else if (kind === 1) {
    out = out.slice(0, int(out.length));
  } else if (kind === 2) {
    const at = int(out.length);
    const garbage = Uint8Array.from({ length: 1 + int(4096) }, () => int(256));
    const o = new Uint8Array(out.length + garbage.length);
    o.set(out.subarray(0, at));
    o.set(garbage, at);
    o.set(out.subarray(at), at + garbage.length);
    out = o;
  } else if (kind === 3) {
    const at = int(out.length);
    out.fill(int(2) ? 0xff : 0, at, Math.min(out.length, at + 1 + int(8192)));
  } else {
    // Header-area damage: flips concentrated in the first 4 KiB (box sizes, sequence headers, y4m header).
    const flips = 1 + int(8);
    for (let k = 0; k < flips; k++) out[int(Math.min(out.length, 4096))] = int(256);
    if (int(2)) out = out.slice(0, Math.max(1, out.length - int(out.length)));
  }
  return out;
}

type Result = { result: string; message?: string; frameCount?: number; read?: number };

function exercise(path: string, options: ReaderOptions | undefined, rnd: () => number): Result {
  let r: VideoReader | undefined;
  try {
    r = new VideoReader(path, options ?? {});
    const m = r.metadata;
    let read = 0;
    let iterError: string | undefined;
    try {
      for (const _f of r.frames({ reuse: true })) read++;
    } catch (e) {
      if (!(e instanceof Av1GymError)) throw e;
      iterError = `${e.constructor.name}: ${e.message}`;
    }
    for (let k = 0; k < 4 && m.frameCount > 0; k++) {
      try {
        r.frame(Math.floor(rnd() * m.frameCount));
      } catch (e) {
        if (!(e instanceof Av1GymError)) throw e;
      }
    }
    return { result: iterError ? "partial" : "ok", message: iterError, frameCount: m.frameCount, read };
  } catch (e) {
    if (e instanceof Av1GymError) return { result: e.constructor.name, message: e.message };
    return { result: "BADERROR", message: String((e as Error)?.stack ?? e) };
  } finally {
    r?.close();
  }
}

// Run as a script (importing it, e.g. for mutate(), does nothing).
if (import.meta.main) {
  const job = JSON.parse(process.argv[2]);
  if (job.mode === "cases") {
    for (const c of job.cases as { path: string; options?: ReaderOptions }[]) {
      console.log(JSON.stringify({ path: c.path, ...exercise(c.path, c.options, prng(1)) }));
    }
  } else if (job.mode === "fuzz") {
    const src = new Uint8Array(readFileSync(job.source));
    const [a, b] = job.seeds as [number, number];
    for (let seed = a; seed < b; seed++) {
      const file = join(job.dir, `fuzz-${seed}${extname(job.source)}`);
      writeFileSync(file, mutate(src, seed));
      console.log(`START ${seed} ${file}`);
      // Fault injection for the test that checks the harness notices crashes and hangs.
      if (job.crashAt === seed) process.kill(process.pid, "SIGSEGV");
      if (job.hangAt === seed) for (;;);
      const res = exercise(file, job.options, prng(seed));
      console.log(`DONE ${seed} ${res.result}${res.read !== undefined ? ` ${res.read}/${res.frameCount}` : ""}`);
      if (res.result === "BADERROR") {
        console.log(`BADERROR ${seed} ${res.message}`);
        process.exit(3);
      }
      unlinkSync(file);
    }
  }
}
