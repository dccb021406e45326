/**
 * The quality corpus against the replaced system's pipeline, in the same run.
 * Grid: 2 sources (bikes 640x272 and carphone 176x144, first 60 frames as raw yuv420p) x 2 single-threaded
 * encoders (libx264 veryfast, libvpx-vp9 realtime cpu-used 8) x 4 crf points: 16 cells, whose order
 * (long ones first) lets 2 workers end within a short cell of each other (`schedule_bound_x`).
 * - corpus-vs-pipeline: runCorpus (jobs 1: encode, decode, score in-process) vs, per cell, the replaced
 *   pipeline: `ffmpeg` encode to a file, `ffmpeg` decode to raw, `av1gym vmaf` on the raw files.
 * Then ROUNDS rounds of: local jobs 1, 1 queued worker, local jobs 2, 2 queued workers (BullMQ on a private
 * redis-server); each ratio is taken within a round, the lines give the rounds' medians:
 * - corpus-jobs: jobs 2 vs jobs 1.
 * - corpus-queue-workers: 2 single-job workers vs 1, the run alone (`ours`: workers started and ready, as
 *   workers that serve many runs are) and with the workers' start-up (`with_startup_x`); beside them the
 *   same round's local jobs ratio and the ideal (the cells' CPU time over 2 cores).
 * - corpus-queue-overhead: (1 queued worker - local jobs 1) / cells in ms, on the time outside cells (each
 *   run's cell times taken out), without start-up on either side (`ours`) and with it; the plain wall-time
 *   differences; per job, the worker's own time and the collection latency from the jobs' timestamps; the
 *   CPU time the queue's processes add per cell.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Subprocess } from "bun";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { VideoReader } from "../../src/io/reader";
import { runCorpus, type CellTiming } from "../../src/corpus/runner";
import { runCorpusQueued } from "../../src/corpus/queue";
import { corpusEncoderNames } from "../../src/corpus/encoders";
import { HAVE_FFMPEG, HAVE_SHARED, MISSING, SHARED_DIR, report, skipped, time } from "../util";
import { REDIS_SERVER, startRedis } from "../../test/helpers/redis";

const FRAMES = 60;
const CQ = [23, 31, 39, 47];
const CLIPS = [
  { name: "bikes", file: "bikes_640x272_250f.mp4", w: 640, h: 272 },
  { name: "carphone", file: "carphone_176x144_120f.mp4", w: 176, h: 144 },
];
const ENCODERS = [
  { name: "libx264", options: { preset: "veryfast", threads: 1 }, cli: (crf: number) => ["-c:v", "libx264", "-preset", "veryfast", "-crf", String(crf), "-threads", "1"], ext: "mp4" },
  { name: "libvpx-vp9", options: { preset: 8, threads: 1 }, cli: (crf: number) => ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-crf", String(crf), "-b:v", "0", "-threads", "1"], ext: "webm" },
];
const BENCHES = ["corpus-vs-pipeline", "corpus-jobs", "corpus-queue-workers", "corpus-queue-overhead"].map((bench) => ({ bench }));
const CLI = resolve(import.meta.dir, "..", "..", "src", "cli", "main.ts");
const ROUNDS = 3;

/** A run: its wall time (s), its start-up, its cells' timings, and the CPU time (ms) of the processes that
 * are not cells: this one (the runner or coordinator), and for a queued run the workers' own processes
 * (their cell processes excluded) and redis-server, while the run lasted. */
interface Run { s: number; startupS: number; timings: CellTiming[]; cpuMs: { self: number; workers: number; redis: number } }
type Local = Run;
type Queued = Run;

const selfCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
/** A process's own CPU time in ms (its threads, not its children), from /proc; 0 where there is none. */
function procCpuMs(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}
const CLOCK_TICKS = Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100;

const sum = (xs: number[]) => xs.reduce((a, x) => a + x, 0);
const median = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[v.length >> 1]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
};
/** Makespan of the tasks taken in order by `slots` workers, each taking the next when free (a queue's FIFO). */
function listSchedule(tasks: number[], slots: number): number {
  const free = new Array<number>(slots).fill(0);
  for (const t of tasks) {
    const i = free.indexOf(Math.min(...free));
    free[i]! += t;
  }
  return Math.max(...free);
}
/** Resolves when a worker says it is ready (its stderr is drained after that); rejects if it exits first. */
async function untilReady(p: Subprocess<"ignore", "ignore", "pipe">): Promise<void> {
  const it = p.stderr[Symbol.asyncIterator]();
  const dec = new TextDecoder();
  let text = "";
  while (!/: ready/.test(text)) {
    const { value, done } = await it.next();
    if (done) throw new Error(`av1gym corpus worker exited before it was ready: ${text.slice(-500)}`);
    text += dec.decode(value);
  }
  void (async () => {
    while (!(await it.next()).done);
  })();
}

function run(cmd: string[]): void {
  const p = Bun.spawnSync(cmd, { stdout: "ignore", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${p.stderr.toString().slice(-500)}`);
}

if (!HAVE_SHARED) skipped(BENCHES, MISSING.shared);
else if (!HAVE_FFMPEG) skipped(BENCHES, MISSING.ffmpeg);
else if (!ENCODERS.every((e) => corpusEncoderNames().includes(e.name))) skipped(BENCHES, "libavcodec encoders are not available to the corpus");
else {
  const dir = mkdtempSync(join(tmpdir(), "av1gym-corpus-bench-"));
  try {
    // The sources as raw files, decoded once (both sides read the same raw input).
    const sources = CLIPS.map((c) => {
      const path = join(dir, `${c.name}.yuv`);
      const r = new VideoReader(join(SHARED_DIR, "clips", c.file));
      const parts: Uint8Array[] = [];
      for (const f of r.frames({ start: 0, end: FRAMES })) parts.push(f.y as Uint8Array, f.u as Uint8Array, f.v as Uint8Array);
      r.close();
      writeFileSync(path, Buffer.concat(parts));
      return { ...c, path };
    });
    const spec = {
      sources: sources.map((s) => ({ path: s.path, width: s.w, height: s.h, pixelFormat: "yuv420p", fps: 25 })),
      encoders: ENCODERS.map((e) => ({ name: e.name, options: e.options })),
      cq: CQ,
      frames: FRAMES,
    };
    const cells = sources.length * ENCODERS.length * CQ.length;
    const local = async (jobs: number): Promise<Local> => {
      const t0 = performance.now(), c0 = selfCpuMs();
      const r = await runCorpus({ ...spec, out: join(dir, `local-${jobs}-${Math.random()}.jsonl`), jobs });
      const s = (performance.now() - t0) / 1000;
      return { s, startupS: (r.startupMs ?? 0) / 1000, timings: r.timings, cpuMs: { self: selfCpuMs() - c0, workers: 0, redis: 0 } };
    };
    const pipeline = () =>
      time(() => {
        for (const s of sources)
          for (const e of ENCODERS)
            for (const crf of CQ) {
              const enc = join(dir, `p.${e.ext}`), dis = join(dir, "p.yuv");
              run(["ffmpeg", "-v", "error", "-nostdin", "-y", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", `${s.w}x${s.h}`, "-r", "25", "-i", s.path, ...e.cli(crf), enc]);
              run(["ffmpeg", "-v", "error", "-nostdin", "-y", "-i", enc, "-f", "rawvideo", "-pix_fmt", "yuv420p", dis]);
              run(["bun", CLI, "vmaf", "--ref", s.path, "--dis", dis, "--width", String(s.w), "--height", String(s.h), "--json", join(dir, "p.json"), "--quiet"]);
            }
      });
    // Alternate ours and the peer, twice each; the best of each.
    let ours = Infinity, peer = Infinity;
    for (let i = 0; i < 2; i++) {
      ours = Math.min(ours, (await local(1)).s);
      peer = Math.min(peer, await pipeline());
    }
    report({ bench: "corpus-vs-pipeline", ours, peer, unit: "s", cells, frames: FRAMES, peer_name: "ffmpeg encode + ffmpeg decode + av1gym vmaf per cell" });

    // Parallel runs, local and queued, in rounds that alternate local jobs 1, 1 queued worker, local jobs 2,
    // 2 queued workers; every ratio is taken within a round, and the medians of the rounds are reported.
    const rounds: { l1: Local; l2: Local; q1: Queued | null; q2: Queued | null }[] = [];
    const redis = REDIS_SERVER ? await startRedis() : null;
    try {
      // Workers as a user starts them (`av1gym corpus worker`); their start-up (Bun, BullMQ, the Redis
      // connection, the warm cell process) is timed apart from the run, which starts once all are ready.
      const queued = async (workers: number): Promise<Queued> => {
        const name = `bench-${workers}-${Math.random()}`;
        const t0 = performance.now();
        const procs = Array.from({ length: workers }, () =>
          Bun.spawn(["bun", CLI, "corpus", "worker", "--queue", redis!.url, "--queue-name", name], { stdout: "ignore", stderr: "pipe" }),
        );
        try {
          await Promise.all(procs.map((p) => untilReady(p)));
          const startupS = (performance.now() - t0) / 1000;
          const w0 = sum(procs.map((p) => procCpuMs(p.pid))), r0 = procCpuMs(redis!.pid);
          const t1 = performance.now(), c0 = selfCpuMs();
          const r = await runCorpusQueued({ ...spec, out: join(dir, `${name}.jsonl`), queue: { url: redis!.url, name } });
          const s = (performance.now() - t1) / 1000;
          const cpuMs = { self: selfCpuMs() - c0, workers: sum(procs.map((p) => procCpuMs(p.pid))) - w0, redis: procCpuMs(redis!.pid) - r0 };
          return { s, startupS, timings: r.timings, cpuMs };
        } finally {
          for (const p of procs) p.kill("SIGTERM");
          await Promise.all(procs.map((p) => p.exited));
        }
      };
      for (let i = 0; i < ROUNDS; i++) {
        const l1 = await local(1);
        const q1 = redis ? await queued(1) : null;
        const l2 = await local(2);
        const q2 = redis ? await queued(2) : null;
        rounds.push({ l1, l2, q1, q2 });
      }
    } finally {
      await redis?.stop();
    }
    const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
    const med = (f: (r: (typeof rounds)[number]) => number) => median(rounds.map(f));
    report({
      bench: "corpus-jobs", ours: med((r) => r.l1.s / r.l2.s), unit: "x", jobs: 2, target: 1.6, rounds: ROUNDS, load,
      jobs1_s: med((r) => r.l1.s), jobs2_s: med((r) => r.l2.s),
      // the best this grid allows two processes: its cells (times of the jobs 1 run) in order on 2 slots
      schedule_bound_x: med((r) => sum(r.l1.timings.map((t) => t.wallMs)) / listSchedule(r.l1.timings.map((t) => t.wallMs), 2)),
    });
    if (!REDIS_SERVER) skipped(BENCHES.slice(2), "redis-server not installed");
    else {
      const R = rounds as { l1: Local; l2: Local; q1: Queued; q2: Queued }[];
      const m = (f: (r: (typeof R)[number]) => number) => median(R.map(f));
      const cellCpuS = (x: Local | Queued) => sum(x.timings.map((t) => t.cpuMs)) / 1000;
      const cellWallS = (x: Local | Queued) => sum(x.timings.map((t) => t.wallMs)) / 1000;
      report({
        bench: "corpus-queue-workers",
        // the run alone (workers started and ready), and with the workers' start-up
        ours: m((r) => r.q1.s / r.q2.s), with_startup_x: m((r) => (r.q1.startupS + r.q1.s) / (r.q2.startupS + r.q2.s)),
        unit: "x", workers: 2, target: 1.6, rounds: ROUNDS, load,
        one_worker_s: m((r) => r.q1.s), two_workers_s: m((r) => r.q2.s),
        one_worker_startup_s: m((r) => r.q1.startupS), two_workers_startup_s: m((r) => r.q2.startupS),
        // the same round's local jobs 2 vs jobs 1: what two processes give on this machine without the queue
        local_jobs_x: m((r) => r.l1.s / r.l2.s),
        // the ideal: the 2-worker run's cells' CPU time spread over 2 cores, against its run time
        two_workers_cell_cpu_s: m((r) => cellCpuS(r.q2)), ideal_two_s: m((r) => cellCpuS(r.q2) / 2),
        efficiency: m((r) => cellCpuS(r.q2) / 2 / r.q2.s),
        // the share of the two slots' time spent inside cells (the rest: the queue's hops, start of the run, the
        // tail where one slot has no cell left), queued and local; what load does to cells cancels out here
        two_workers_busy: m((r) => cellWallS(r.q2) / (2 * r.q2.s)),
        local_jobs2_busy: m((r) => cellWallS(r.l2) / (2 * (r.l2.s - r.l2.startupS))),
        // a cell's CPU time with 2 running at once against 1 (shared caches and memory: what two cores cost each other)
        cell_cpu_2_vs_1: m((r) => cellCpuS(r.q2) / cellCpuS(r.q1)),
      });
      const perJob = R.flatMap((r) => r.q1.timings);
      report({
        bench: "corpus-queue-overhead",
        // (1 queued worker - local jobs 1) / cells, on the time outside cells: each run's wall time less its
        // cells' own (timed in the cell processes), so that cells running a little faster or slower in one run
        // (a few % of a 10 s grid is 10+ ms a cell) do not pass for the queue's cost. Without start-up on either
        // side (`ours`: the local runner's cell process start, timed by it, taken out; the worker started before),
        // and with each side's whole start-up; `wall_*` are the plain differences of the runs' wall times.
        ours: m((r) => ((r.q1.s - cellWallS(r.q1) - (r.l1.s - r.l1.startupS - cellWallS(r.l1))) / cells) * 1000),
        with_startup_ms: m((r) => ((r.q1.startupS + r.q1.s - cellWallS(r.q1) - (r.l1.s - cellWallS(r.l1))) / cells) * 1000),
        wall_diff_ms: m((r) => ((r.q1.s - (r.l1.s - r.l1.startupS)) / cells) * 1000),
        wall_diff_with_startup_ms: m((r) => ((r.q1.startupS + r.q1.s - r.l1.s) / cells) * 1000),
        unit: "ms/cell", target: 20, cells, rounds: ROUNDS, load,
        queued_1_worker_s: m((r) => r.q1.s), local_jobs1_s: m((r) => r.l1.s), local_startup_s: m((r) => r.l1.startupS),
        worker_startup_s: m((r) => r.q1.startupS),
        // per job, from the jobs' own timestamps: the worker's time on a job beyond its cell, and from the
        // job's end on the worker to its rows in the output
        worker_ms_per_job: median(perJob.map((t) => t.queue!.jobMs - t.wallMs)),
        collect_ms: median(perJob.map((t) => t.queue!.collectMs)),
        // CPU time the queue adds per cell (which load disturbs far less than wall time): the coordinator's
        // beyond the local runner's, the worker's own process (its cell process apart), redis-server
        cpu_ms_per_cell: m((r) => (r.q1.cpuMs.self - r.l1.cpuMs.self + r.q1.cpuMs.workers + r.q1.cpuMs.redis) / cells),
        cpu_ms_per_cell_parts: {
          coordinator: m((r) => (r.q1.cpuMs.self - r.l1.cpuMs.self) / cells),
          worker: m((r) => r.q1.cpuMs.workers / cells),
          redis: m((r) => r.q1.cpuMs.redis / cells),
        },
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
