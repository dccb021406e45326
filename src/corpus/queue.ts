/**
 * The corpus across machines, on BullMQ over Redis: the coordinator enqueues one job per cell (job id from
 * the cell id, itself derived from the cell's full specification, so enqueueing twice adds nothing),
 * collects finished jobs and appends each cell's rows to the output itself, once; workers on any machine
 * take cells and run them through the same worker-process pool as the local runner.
 *
 * Cost per cell (measured in bench/corpus/corpus.bench.ts): the coordinator learns of a finished cell from
 * its event (which carries the rows), not by asking Redis about every cell; a worker takes its next job in
 * the same Redis call that finishes the last one, keeps its cell process (native library loaded) warm, and
 * hashes a source once, not per cell.
 *
 * Faults: a worker killed mid-cell loses its job lock and BullMQ's stalled-job check hands the cell to
 * another worker; a cell that fails `attempts` times becomes an error row; a coordinator restarted mid-run
 * skips cells the output has and collects jobs that completed while it was away; a Redis restart is
 * survived by reconnecting (ioredis), and a job Redis lost is enqueued again.
 * Shared-storage assumption: sources are read by path, so every worker must see them at the same path with
 * the same content (a worker whose copy differs or is missing fails the job with a message saying so).
 */
import { Job, Queue, QueueEvents, Worker } from "bullmq";
import { statSync } from "node:fs";
import { hostname } from "node:os";
import { InvalidArgumentError } from "../core/errors";
import { errorRow, type CellOptions } from "./cell";
import { fileIdentity, planCells, type CellSpec, type CorpusSpec } from "./grid";
import { CellPool } from "./pool";
import type { CellDone } from "./progress";
import { readRows, RowsWriter } from "./rows_file";
import type { CellTiming, CorpusResult } from "./runner";
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
  /**
   * How often the coordinator checks every unfinished cell's job in Redis (default 3 s). Events tell it of
   * each finished cell at once; this is the safety net for events it could not see (an event stream trimmed
   * while it was away) and for jobs a Redis restart without persistence lost.
   */
  sweepMs?: number;
  /** Where to say that Redis cannot be reached (each different error once a minute); nothing by default. */
  log?: (line: string) => void;
}

const DEFAULT_NAME = "av1gym-corpus";
const jobId = (cell: CellSpec) => `cell-${cell.id}`;
// Events BullMQ keeps in Redis (each "completed" one holds the cell's rows): enough for a coordinator a few
// cells behind; one further behind finds the cells by its sweep.
const EVENTS_MAX_LEN = 500;
// BullMQ's reason for a job whose workers died under it too often (moveStalledJobsToWait).
const STALLED_REASON = "job stalled more than allowable limit";

/** What a worker returns for a cell: its rows, what the cell cost, and when the job ran (worker's clock). */
interface JobResult {
  rows: Row[];
  wallMs: number;
  cpuMs: number;
  worker: string;
  queuedAt: number;
  startedAt: number;
  endedAt: number;
}

/** A log of Redis errors that says each one once a minute at most (a retrying client repeats them every 2 s). */
function errorLog(log: ((line: string) => void) | undefined, url: string): (e: Error) => void {
  const said = new Map<string, number>();
  return (e) => {
    const now = Date.now();
    if (!log || now - (said.get(e.message) ?? -Infinity) < 60_000) return;
    said.set(e.message, now);
    log(`Redis at ${url}: ${e.message} (retrying)`);
  };
}

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
  const sweepMs = qo.sweepMs ?? 3_000;
  if (!(sweepMs >= 10)) throw new InvalidArgumentError(`sweepMs must be at least 10 (got ${sweepMs})`);
  const cells = planCells(grid);
  const ids = new Set(cells.map((c) => c.id));
  const existing = readRows(out);
  const redo = new Set([...ids].filter((id) => (force ? existing.done.has(id) : existing.failed.has(id))));
  if (redo.size) dropCells(out, redo);
  const pending = new Map(cells.filter((c) => !existing.done.has(c.id) || redo.has(c.id)).map((c) => [jobId(c), c]));
  const ours = new Set(cells.map(jobId));
  const writer = new RowsWriter(out); // an unwritable output fails before anything is enqueued
  const connection = connectionFromUrl(qo.url);
  const name = qo.name ?? DEFAULT_NAME;
  const queue = new Queue(name, { connection, streams: { events: { maxLen: EVENTS_MAX_LEN } } });
  const onError = errorLog(qo.log, qo.url);
  queue.on("error", onError);
  let events: QueueEvents | null = null;
  const start = performance.now();
  let finished = cells.length - pending.size;
  let failed = 0;
  const ran = pending.size;
  const timings: CellTiming[] = [];
  let allLanded!: () => void;
  const landedAll = new Promise<void>((r) => (allLanded = r));
  const removals: Promise<unknown>[] = [];
  const jobOptions = (cell: CellSpec) => ({
    jobId: jobId(cell), attempts, backoff: { type: "fixed", delay: 200 }, removeOnComplete: false, removeOnFail: false,
  });
  const land = (id: string, rows: Row[], timing?: Omit<CellTiming, "cell">) => {
    const cell = pending.get(id);
    if (!cell) return; // landed already (an event and a sweep both saw it), or not ours
    writer.appendCell(rows);
    pending.delete(id);
    if (rows[rows.length - 1]?.type === "error") failed++;
    finished++;
    timings.push({ cell: cell.id, wallMs: 0, cpuMs: 0, ...timing });
    onCell?.({ cell, rows, done: finished, total: cells.length, elapsedS: (performance.now() - start) / 1000 });
    // The job has served its purpose; a later run of the same cell (--force, another output) computes it anew.
    removals.push(queue.remove(id).catch(() => {}));
    if (pending.size === 0) allLanded();
  };
  const landCompleted = (id: string, value: unknown) => {
    const cell = pending.get(id);
    if (!cell) return;
    const r = value as Partial<JobResult> | null;
    const rows = Array.isArray(value) ? (value as Row[]) : r?.rows;
    if (!Array.isArray(rows) || rows.length === 0 || rows.some((x) => x?.cell !== cell.id)) {
      land(id, [errorRow(cell, new Error(`job ${id} completed without this cell's rows (a worker of another av1gym version?)`))]);
      return;
    }
    const now = Date.now();
    const timing = r && !Array.isArray(value) && typeof r.endedAt === "number"
      ? {
          wallMs: r.wallMs ?? 0, cpuMs: r.cpuMs ?? 0,
          queue: { waitMs: r.startedAt! - r.queuedAt!, jobMs: r.endedAt - r.startedAt!, collectMs: now - r.endedAt, ...(r.worker ? { worker: r.worker } : {}) },
        }
      : undefined;
    land(id, rows, timing);
  };
  // A job that failed for good is the cell's error row; one that failed with tries left (an earlier run's,
  // with fewer attempts) is tried again.
  const settleFailed = async (id: string) => {
    const cell = pending.get(id);
    if (!cell) return;
    const job = await Job.fromId(queue, id);
    if (!job || (await job.getState()) !== "failed") return;
    if (job.attemptsMade >= attempts || job.failedReason === STALLED_REASON)
      land(id, [errorRow(cell, new Error(`failed ${job.attemptsMade} times on the workers; last: ${job.failedReason}`))]);
    else await job.retry();
  };
  const enqueue = async (list: CellSpec[]) => {
    for (let i = 0; i < list.length; i += 500)
      await queue.addBulk(list.slice(i, i + 500).map((cell) => ({ name: "cell", data: { cell, options: { keepEncodes } }, opts: jobOptions(cell) })));
  };
  // Every unfinished cell's job by its state (three calls, whatever the grid's size): missing (never
  // enqueued, or lost by Redis) is enqueued, finished is landed. A job seen moving between the calls may look
  // missing: enqueueing it again adds nothing. Redis errors are left to the next sweep (ioredis reconnects).
  const sweep = async () => {
    const completed = await queue.getRanges(["completed"], 0, -1);
    const failedIds = await queue.getRanges(["failed"], 0, -1);
    const open = new Set(await queue.getRanges(["wait", "paused", "active", "delayed", "prioritized", "waiting-children"], 0, -1));
    for (const id of completed) {
      if (pending.has(id)) {
        const job = await Job.fromId(queue, id);
        if (job) landCompleted(id, job.returnvalue);
      } else if (ours.has(id)) removals.push(queue.remove(id).catch(() => {})); // landed by a coordinator killed before it removed the job
    }
    for (const id of failedIds.filter((id) => pending.has(id))) await settleFailed(id);
    const seen = new Set([...completed, ...failedIds]);
    const missing = [...pending].filter(([id]) => !open.has(id) && !seen.has(id)).map(([, cell]) => cell);
    if (missing.length) await enqueue(missing);
  };
  try {
    await queue.waitUntilReady();
    // A cell to redo may still have its old job in Redis: remove it so that the new job is a fresh one.
    for (const id of redo) await queue.remove(`cell-${id}`).catch(() => {});
    if (pending.size) {
      // Listen from the stream's present end, taken before anything is enqueued, so no event is missed.
      // (BullMQ's client interface has no XREVRANGE; the client under it is ioredis, which has.)
      const client = (await queue.client) as unknown as { xrevrange(...a: (string | number)[]): Promise<[string, string[]][]> };
      const last = (await client.xrevrange(queue.keys.events!, "+", "-", "COUNT", 1))[0]?.[0] ?? "0-0";
      events = new QueueEvents(name, { connection, lastEventId: last });
      events.on("completed", ({ jobId: id, returnvalue }) => landCompleted(id, returnvalue));
      events.on("failed", ({ jobId: id }) => void settleFailed(id).catch(() => {}));
      events.on("error", onError); // reconnects by itself; the sweep covers what it missed
      await events.waitUntilReady();
      await enqueue([...pending.values()]);
    }
    while (pending.size) {
      try {
        await sweep(); // the first finds cells that finished while no coordinator ran
      } catch {}
      if (!pending.size) break;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([landedAll, new Promise((r) => (timer = setTimeout(r, sweepMs)))]);
      clearTimeout(timer);
    }
    await Promise.all(removals);
  } finally {
    writer.close();
    await events?.close().catch(() => {});
    await queue.close().catch(() => {});
  }
  return { out, cells: cells.length, skipped: cells.length - ran, ran, failed, problems: existing.problems, timings };
}

export interface WorkerHandle {
  /** Resolves once the worker takes cells: connected to Redis, its cell processes started and warm. */
  ready: Promise<void>;
  /** Resolves when the worker has stopped (after close()). */
  closed: Promise<void>;
  close(): Promise<void>;
}

// A source's identity by its file status: hashing it again for every cell would cost each cell a read of up
// to 2 MiB; a file whose size, times or inode changed is hashed again.
const identities = new Map<string, { stat: string; identity: string }>();
function sourceIdentity(path: string): string {
  let stat: string;
  try {
    const st = statSync(path, { bigint: true });
    stat = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch {
    return fileIdentity(path); // throws the error that says why
  }
  const known = identities.get(path);
  if (known?.stat === stat) return known.identity;
  const identity = fileIdentity(path);
  identities.set(path, { stat, identity });
  return identity;
}

/** A worker: takes cells from the queue, `concurrency` at a time, until closed. */
export function startQueueWorker(o: QueueOptions & { concurrency?: number }): WorkerHandle {
  const concurrency = o.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
    throw new InvalidArgumentError(`concurrency must be an integer 1..64 (got ${concurrency})`);
  const connection = connectionFromUrl(o.url);
  const pool = new CellPool(concurrency);
  const log = o.log ?? (() => {});
  const me = `${hostname()}:${process.pid}`;
  const worker = new Worker(
    o.name ?? DEFAULT_NAME,
    async (job: Job<{ cell: CellSpec; options: CellOptions }>): Promise<JobResult> => {
      const { cell, options } = job.data;
      const startedAt = job.processedOn ?? Date.now();
      // Shared storage: this worker must see the very file the coordinator planned.
      let identity: string;
      try {
        identity = sourceIdentity(cell.source.path);
      } catch (e) {
        throw new Error(`worker ${hostname()} cannot read source ${cell.source.path}: ${(e as Error).message}`);
      }
      if (cell.source.identity !== "unreadable" && identity !== cell.source.identity)
        throw new Error(`worker ${hostname()} sees another file at ${cell.source.path} than the coordinator did (content differs)`);
      const { rows, wallMs, cpuMs } = await pool.run(cell, options);
      const last = rows[rows.length - 1];
      if (last?.type === "error") throw new Error(last.error.message); // BullMQ tries it again, up to `attempts`
      log(`cell ${cell.id} done (${rows.length - 1} frames)`);
      return { rows, wallMs, cpuMs, worker: me, queuedAt: job.timestamp, startedAt, endedAt: Date.now() };
    },
    {
      connection, concurrency,
      autorun: false, // run() once the cell processes are warm
      lockDuration: o.lockDurationMs ?? 30_000,
      stalledInterval: o.stalledIntervalMs ?? 5_000,
      maxStalledCount: 2,
    },
  );
  worker.on("error", errorLog(o.log, o.url));
  let closing: Promise<void> | null = null;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  const warmed = pool.warm();
  const ready = (async () => {
    await warmed;
    if (closing) return;
    void worker.run().catch((e: Error) => log(`queue error: ${e.message}`));
    await worker.waitUntilReady();
  })();
  return {
    ready,
    closed,
    close() {
      closing ??= (async () => {
        await warmed; // not `ready`: with Redis unreachable that never comes, and stopping must still work
        await worker.close().catch(() => {});
        pool.close();
        resolveClosed();
      })();
      return closing;
    },
  };
}
