/**
 * runCorpus: the whole grid, resumable and idempotent. Finished cells already in the output are skipped
 * (`force` recomputes them, replacing their old rows); the others run on `jobs` worker processes and each
 * lands in the output as one append when it finishes, so a run killed at any moment leaves whole cells only
 * and a rerun picks up where it stopped. Failed cells are error rows (the result counts them); a rerun
 * tries them again.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { InvalidArgumentError } from "../core/errors";
import type { CellOptions } from "./cell";
import { planCells, type CellSpec, type CorpusSpec } from "./grid";
import { CellPool } from "./pool";
import type { CellDone } from "./progress";
import { readRows, RowsWriter, type RowsProblem } from "./rows_file";

export interface RunCorpusOptions extends CellOptions {
  /** The JSONL output; created if missing, appended to otherwise. */
  out: string;
  /** Cells in parallel (worker processes). Default 1. */
  jobs?: number;
  /** Recompute cells the output already has (their old rows are removed first). */
  force?: boolean;
  onCell?: (p: CellDone) => void;
}

export interface CorpusResult {
  out: string;
  cells: number;
  skipped: number;
  ran: number;
  failed: number;
  /** Lines of the existing output that are not rows (reported, left in place). */
  problems: RowsProblem[];
  /** What each cell that ran cost, in the order they finished. */
  timings: CellTiming[];
  /** Local runs: the time spent starting the cell processes (and loading the native library) before any cell ran. */
  startupMs?: number;
}

/**
 * A cell's cost: wall and CPU time of the cell itself in its worker process (0 when that process died);
 * through the queue also the job's times, from the clocks of the machines involved (BullMQ's job timestamps).
 */
export interface CellTiming {
  cell: string;
  wallMs: number;
  cpuMs: number;
  queue?: {
    /** Enqueued (or last retried) until a worker took it. */
    waitMs: number;
    /** Taken until finished, on the worker: the cell plus the worker's own work on the job. */
    jobMs: number;
    /** Finished until the coordinator had written its rows. */
    collectMs: number;
    /** Which worker ran it (host:pid). */
    worker?: string;
  };
}

export async function runCorpus(spec: CorpusSpec & RunCorpusOptions): Promise<CorpusResult> {
  const { out, jobs = 1, force = false, onCell, keepEncodes, ...grid } = spec;
  if (typeof out !== "string" || out.length === 0) throw new InvalidArgumentError("runCorpus needs `out`, the rows file to write");
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) throw new InvalidArgumentError(`jobs must be an integer 1..64 (got ${jobs})`);
  const cells = planCells(grid);
  const ids = new Set(cells.map((c) => c.id));
  const existing = readRows(out);
  // Cells to compute again: all of ours with `force`, else the ones that failed last time (a killed worker,
  // a source that was missing); their old rows go first so every cell appears once.
  const redo = new Set([...ids].filter((id) => force ? existing.done.has(id) : existing.failed.has(id)));
  if (redo.size) dropCells(out, redo);
  const done = new Set([...existing.done].filter((id) => !redo.has(id)));
  const todo = cells.filter((c) => !done.has(c.id));
  const writer = new RowsWriter(out); // an unwritable output fails here, before any encode
  const start = performance.now();
  let finished = cells.length - todo.length;
  let failed = 0;
  const timings: CellTiming[] = [];
  const pool = new CellPool(Math.min(jobs, Math.max(todo.length, 1)));
  let startupMs = 0;
  try {
    // Every cell process starts at once (as the first cells would), timed apart from the cells.
    if (todo.length) {
      const t0 = performance.now();
      await pool.warm();
      startupMs = performance.now() - t0;
    }
    await Promise.all(
      todo.map(async (cell: CellSpec) => {
        const { rows, wallMs, cpuMs } = await pool.run(cell, { keepEncodes });
        writer.appendCell(rows);
        timings.push({ cell: cell.id, wallMs, cpuMs });
        if (rows[rows.length - 1]?.type === "error") failed++;
        finished++;
        onCell?.({ cell, rows, done: finished, total: cells.length, elapsedS: (performance.now() - start) / 1000 });
      }),
    );
  } finally {
    pool.close();
    writer.close();
  }
  return { out, cells: cells.length, skipped: cells.length - todo.length, ran: todo.length, failed, problems: existing.problems, timings, startupMs };
}

/** Rewrites the output without the given cells' rows (atomically: a temporary file renamed over it). */
export function dropCells(out: string, ids: Set<string>): void {
  const text = readFileSync(out, "utf8");
  const kept = text.split("\n").filter((line) => {
    if (!line.trim()) return false;
    try {
      return !ids.has(JSON.parse(line).cell);
    } catch {
      return true; // not a row: keep it as it was, it is reported, not ours to delete
    }
  });
  const tmp = `${out}.tmp-${process.pid}`;
  writeFileSync(tmp, kept.length ? kept.join("\n") + "\n" : "");
  renameSync(tmp, out);
}
