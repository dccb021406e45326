/**
 * The corpus on BullMQ: a private Redis on a free loopback port, worker processes started as a user would
 * (`av1gym corpus worker`), the coordinator in-process. The rows must equal a local run's, exactly once,
 * when a worker is SIGKILLed mid-cell and when Redis restarts mid-run.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Queue } from "bullmq";
import type { Subprocess } from "bun";
import { runCorpus } from "../../src/corpus/runner";
import { connectionFromUrl, runCorpusQueued } from "../../src/corpus/queue";
import { readRows } from "../../src/corpus/rows_file";
import { REDIS_SERVER, startRedis, type TestRedis } from "../helpers/redis";
import { comparable, H, rawSource, W, writeRawSource } from "./fixtures";

const CLI = resolve(import.meta.dir, "..", "..", "src", "cli", "main.ts");
if (!REDIS_SERVER) console.warn("[queue.test] redis-server not installed (apt-get install redis-server): skipped");

describe.skipIf(!REDIS_SERVER)("corpus on BullMQ/Redis", () => {
  const dir = mkdtempSync(join(tmpdir(), "av1gym-queue-"));
  let redis: TestRedis;
  const workers: Subprocess[] = [];
  const grid = {
    sources: [rawSource(writeRawSource(dir, "a.yuv", 10, 1)), rawSource(writeRawSource(dir, "b.yuv", 10, 5))],
    encoders: [{ name: "av1", options: { preset: 12 } }],
    cq: [26, 36, 46, 56],
  };
  let local: string[];

  beforeAll(async () => {
    redis = await startRedis();
    const out = join(dir, "local.jsonl");
    await runCorpus({ ...grid, out, jobs: 2 });
    local = comparable(readRows(out).rows as never);
  }, 300_000);
  afterAll(async () => {
    for (const w of workers) w.kill("SIGKILL");
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // A worker as a user starts it, with a test queue name and short lock times (a dead worker is noticed in ~3 s).
  const startWorkerNamed = (name: string) => {
    const w = Bun.spawn(["bun", CLI, "corpus", "worker", "--queue", redis.url, "--queue-name", name, "--lock-ms", "3000", "--stalled-ms", "1000"], {
      stdout: "ignore", stderr: "ignore",
    });
    workers.push(w);
    return w;
  };
  const stopWorkers = async () => {
    for (const w of workers.splice(0)) {
      w.kill("SIGTERM");
      await w.exited;
    }
  };
  const queueName = (t: string) => `t-${t}-${process.pid}`;

  test("2 workers + coordinator: the rows equal a local run's; enqueueing twice adds nothing", async () => {
    const out = join(dir, "two.jsonl");
    const name = queueName("two");
    for (let i = 0; i < 2; i++) startWorkerNamed(name);
    const r = await runCorpusQueued({ ...grid, out, queue: { url: redis.url, name } });
    expect(r).toMatchObject({ cells: 8, ran: 8, failed: 0 });
    expect(comparable(readRows(out).rows as never)).toEqual(local);
    // a second coordinator over the finished output enqueues nothing
    const again = await runCorpusQueued({ ...grid, out, queue: { url: redis.url, name } });
    expect(again).toMatchObject({ ran: 0, skipped: 8 });
    const q = new Queue(name, { connection: connectionFromUrl(redis.url) });
    expect(await q.getJobCountByTypes("waiting", "active", "completed", "failed", "delayed")).toBe(0);
    await q.close();
    await stopWorkers();
  }, 300_000);

  test("a worker SIGKILLed mid-cell: its cell goes to another worker; every row exactly once", async () => {
    const out = join(dir, "killed.jsonl");
    const name = queueName("kill");
    const victim = startWorkerNamed(name);
    const run = runCorpusQueued({ ...grid, out, queue: { url: redis.url, name } });
    const q = new Queue(name, { connection: connectionFromUrl(redis.url) });
    for (let i = 0; i < 1000 && (await q.getActiveCount()) === 0; i++) await Bun.sleep(10);
    expect(await q.getActiveCount()).toBe(1);
    victim.kill("SIGKILL");
    await victim.exited;
    startWorkerNamed(name);
    const r = await run;
    await q.close();
    expect(r.failed).toBe(0);
    const rows = readRows(out).rows;
    expect(rows.filter((x) => x.type === "cell").length).toBe(8);
    expect(comparable(rows as never)).toEqual(local);
    await stopWorkers();
  }, 300_000);

  test("a coordinator SIGKILLed mid-run: the next one collects the cells finished meanwhile; every row exactly once", async () => {
    const out = join(dir, "coordinator.jsonl");
    const name = queueName("coord");
    startWorkerNamed(name);
    // The coordinator as a user starts it (the grid's raw sources as command-line options).
    const args = ["corpus", ...grid.sources.flatMap((s) => ["--source", s.path]), "--width", String(W), "--height", String(H), "--fps", "25",
      "--encoder", "av1:preset=12", "--cq", grid.cq.join(","), "--out", out, "--queue", redis.url, "--queue-name", name];
    const first = Bun.spawn(["bun", CLI, ...args], { stdout: "ignore", stderr: "ignore" });
    for (let i = 0; i < 3000 && readRows(out).done.size === 0; i++) await Bun.sleep(10);
    first.kill("SIGKILL");
    await first.exited;
    // Cells the worker finishes while no coordinator runs stay in Redis until the next coordinator takes them.
    const q = new Queue(name, { connection: connectionFromUrl(redis.url) });
    const finishedAway = async () => {
      const done = readRows(out).done;
      return (await q.getRanges(["completed"], 0, -1)).filter((id) => !done.has(id.slice("cell-".length)));
    };
    for (let i = 0; i < 3000 && (await finishedAway()).length === 0; i++) await Bun.sleep(10);
    expect((await finishedAway()).length).toBeGreaterThan(0);
    const r = await runCorpusQueued({ ...grid, out, queue: { url: redis.url, name } });
    expect(r.failed).toBe(0);
    expect(r.ran).toBeLessThan(8);
    expect(comparable(readRows(out).rows as never)).toEqual(local);
    expect(await q.getJobCountByTypes("waiting", "active", "completed", "failed", "delayed")).toBe(0);
    await q.close();
    await stopWorkers();
  }, 300_000);

  test("Redis restarted mid-run: workers and coordinator reconnect and finish", async () => {
    const out = join(dir, "restart.jsonl");
    const name = queueName("restart");
    startWorkerNamed(name);
    const run = runCorpusQueued({ ...grid, out, queue: { url: redis.url, name } });
    for (let i = 0; i < 1500; i++) {
      await Bun.sleep(10);
      if (readRows(out).done.size >= 1) break;
    }
    await redis.restart(700);
    const r = await run;
    expect(r.failed).toBe(0);
    expect(comparable(readRows(out).rows as never)).toEqual(local);
    await stopWorkers();
  }, 300_000);
});
