/**
 * The corpus across machines, on BullMQ over Redis: the coordinator enqueues one job per cell (job id from
 * the cell id, itself derived from the cell's full specification, so enqueueing twice adds nothing),
 * collects finished jobs and appends each cell's rows to the output itself, once; workers on any machine
 * take cells and run them through the same worker-process pool as the local runner.
 *
 * Faults: a worker killed mid-cell loses its job lock and BullMQ's stalled-job check hands the cell to
 * another worker; a cell that fails `attempts` times becomes an error row; a coordinator restarted mid-run
 * skips cells the output has and collects jobs that completed while it was away; a Redis restart is
 * survived by reconnecting (ioredis), and a job Redis lost is enqueued again.
 * Shared-storage assumption: sources are read by path, so every worker must see them at the same path with
 * the same content (a worker whose copy differs or is missing fails the job with a message saying so).
 */
import { Job, Queue, QueueEvents, Worker } from "bullmq";
import { hostname } from "node:os";
import { InvalidArgumentError } from "../core/errors";
import { errorRow, type CellOptions } from "./cell";
import { fileIdentity, planCells, type CellSpec, type CorpusSpec } from "./grid";
import { CellPool } from "./pool";
import type { CellDone } from "./progress";
import { readRows, RowsWriter } from "./rows_file";
import type { CorpusResult } from "./runner";
import { dropCells } from "./runner";
import type { Row } from "./schema";

export interface QueueOptions {
  /** redis://[user:password@]host:port[/db] */
  url: string;
  /** Queue name (default "av1gym-corpus"); coordinator and workers must agree. */
  name?: string;
  /** How often a failing cell is tried before it becomes an error row (default 3). */
  attempts?: number;
  /** A worker's lock on a running cell; a worker silent for longer is taken as dead (default 30 s). */
  lockDurationMs?: number;
  /** How often workers look for cells whose worker died (default 5 s). */
  stalledIntervalMs?: number;
}

const DEFAULT_NAME = "av1gym-corpus";
const jobId = (cell: CellSpec) => `cell-${cell.id}`;

/** ioredis options from a redis:// URL; the connection retries for ever (workers must outlive a Redis restart). */
export function connectionFromUrl(url: string) {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InvalidArgumentError(`--queue must be a redis:// URL such as redis://127.0.0.1:6379/0 (got ${JSON.stringify(url)})`);
  }
  if (u.protocol !== "redis:") throw new InvalidArgumentError(`--queue must be a redis:// URL (got ${JSON.stringify(url)})`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new InvalidArgumentError(`--queue: database "${u.pathname.slice(1)}" is not a number`);
  return {
    host: u.hostname || "127.0.0.1",
    port: u.port ? Number(u.port) : 6379,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(100 * times, 2000),
  };
}

/** The coordinator: enqueues the grid's unfinished cells and writes their rows as they complete. */
export async function runCorpusQueued(
  spec: CorpusSpec & CellOptions & { out: string; force?: boolean; queue: QueueOptions; onCell?: (p: CellDone) => void },
): Promise<CorpusResult> {
  const { out, force = false, queue: qo, onCell, keepEncodes, ...grid } = spec;
  const attempts = qo.attempts ?? 3;
  if (!Number.isInteger(attempts) || attempts < 1) throw new InvalidArgumentError(`attempts must be a positive integer (got ${attempts})`);
  const cells = planCells(grid);
  const ids = new Set(cells.map((c) => c.id));
  const existing = readRows(out);
  const redo = new Set([...ids].filter((id) => (force ? existing.done.has(id) : existing.failed.has(id))));
  if (redo.size) dropCells(out, redo);
  const pending = new Map(cells.filter((c) => !existing.done.has(c.id) || redo.has(c.id)).map((c) => [jobId(c), c]));
  const writer = new RowsWriter(out); // an unwritable output fails before anything is enqueued
  const connection = connectionFromUrl(qo.url);
  const name = qo.name ?? DEFAULT_NAME;
  const queue = new Queue(name, { connection });
  const events = new QueueEvents(name, { connection });
  const start = performance.now();
  let finished = cells.length - pending.size;
  let failed = 0;
  const ran = pending.size;
  const enqueue = (cell: CellSpec) =>
    queue.add("cell", { cell, options: { keepEncodes } }, {
      jobId: jobId(cell), attempts, backoff: { type: "fixed", delay: 200 }, removeOnComplete: false, removeOnFail: false,
    });
  const land = (cell: CellSpec, rows: Row[]) => {
    if (!pending.has(jobId(cell))) return;
    writer.appendCell(rows);
    pending.delete(jobId(cell));
    if (rows[rows.length - 1]?.type === "error") failed++;
    finished++;
    onCell?.({ cell, rows, done: finished, total: cells.length, elapsedS: (performance.now() - start) / 1000 });
  };
  // Looks at one cell's job; lands it when it is finished either way. Redis errors are left to the next look.
  const look = async (id: string, cell: CellSpec) => {
    const state = await queue.getJobState(id);
    if (state === "unknown") {
      await enqueue(cell); // never enqueued, or lost by Redis (restarted without persistence)
      return;
    }
    if (state !== "completed" && state !== "failed") return;
    // Read the job only once it is finished: read before, it would hold no result yet.
    const job = await Job.fromId(queue, id);
    if (!job) return;
    if (state === "completed") {
      const rows = job.returnvalue as Row[] | null;
      if (!Array.isArray(rows) || rows.length === 0 || rows.some((r) => r?.cell !== cell.id))
        throw new Error(`job ${id} completed without its rows`); // looked at again on the next pass
      land(cell, rows);
      await job.remove().catch(() => {});
    } else if (state === "failed" && job.attemptsMade >= attempts) {
      land(cell, [errorRow(cell, new Error(`failed ${job.attemptsMade} times on the workers; last: ${job.failedReason}`))]);
      await job.remove().catch(() => {});
    } else if (state === "failed") {
      await job.retry().catch(() => {}); // failed with attempts left (an old job from an earlier run)
    }
  };
  try {
    await queue.waitUntilReady();
    // A cell to redo may still have its old job in Redis: remove it so that the new job is a fresh one.
    for (const id of redo) await (await Job.fromId(queue, `cell-${id}`))?.remove().catch(() => {});
    const wake = { fn: () => {} };
    const poke = () => wake.fn();
    events.on("completed", poke);
    events.on("failed", poke);
    while (pending.size) {
      for (const [id, cell] of [...pending]) {
        try {
          await look(id, cell);
        } catch {
          break; // Redis is away: wait and look again (ioredis reconnects by itself)
        }
      }
      if (!pending.size) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 500);
        wake.fn = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  } finally {
    writer.close();
    await events.close().catch(() => {});
    await queue.close().catch(() => {});
  }
  return { out, cells: cells.length, skipped: cells.length - ran, ran, failed, problems: existing.problems };
}

export interface WorkerHandle {
  /** Resolves when the worker has stopped (after close()). */
  closed: Promise<void>;
  close(): Promise<void>;
}

/** A worker: takes cells from the queue, `concurrency` at a time, until closed. */
export function startQueueWorker(o: QueueOptions & { concurrency?: number; log?: (line: string) => void }): WorkerHandle {
  const concurrency = o.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
    throw new InvalidArgumentError(`concurrency must be an integer 1..64 (got ${concurrency})`);
  const connection = connectionFromUrl(o.url);
  const pool = new CellPool(concurrency);
  const log = o.log ?? (() => {});
  const worker = new Worker(
    o.name ?? DEFAULT_NAME,
    async (job: Job<{ cell: CellSpec; options: CellOptions }>) => {
      const { cell, options } = job.data;
      // Shared storage: this worker must see the very file the coordinator planned.
      let identity: string;
      try {
        identity = fileIdentity(cell.source.path);
      } catch (e) {
        throw new Error(`worker ${hostname()} cannot read source ${cell.source.path}: ${(e as Error).message}`);
      }
      if (cell.source.identity !== "unreadable" && identity !== cell.source.identity)
        throw new Error(`worker ${hostname()} sees another file at ${cell.source.path} than the coordinator did (content differs)`);
      const rows = await pool.run(cell, options);
      const last = rows[rows.length - 1];
      if (last?.type === "error") throw new Error(last.error.message); // BullMQ tries it again, up to `attempts`
      log(`cell ${cell.id} done (${rows.length - 1} frames)`);
      return rows;
    },
    {
      connection, concurrency, autorun: true,
      lockDuration: o.lockDurationMs ?? 30_000,
      stalledInterval: o.stalledIntervalMs ?? 5_000,
      maxStalledCount: 2,
    },
  );
  worker.on("error", (e) => log(`queue error: ${e.message}`));
  let closing: Promise<void> | null = null;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  return {
    closed,
    close() {
      closing ??= (async () => {
        await worker.close().catch(() => {});
        pool.close();
        resolveClosed();
      })();
      return closing;
    },
  };
}
