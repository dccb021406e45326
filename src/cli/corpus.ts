/**
 * `av1gym corpus`: encode sources with encoders over a quality grid, decode, score, write JSONL rows
 * (see src/corpus/). Exit status: 0 when every cell succeeded; 1..100 the number of failed cells (100 for
 * 100 or more); 101 when the run could not start (bad arguments, an unwritable output).
 */
import { parseArgs } from "node:util";
import { extname } from "node:path";
import { RAW_EXTENSIONS } from "../io/reader";
import { Av1GymError } from "../core/errors";
import { corpusEncoderNames } from "../corpus/encoders";
import { runCorpus } from "../corpus/runner";
import { progressReporter } from "../corpus/progress";

export const CORPUS_USAGE = `usage: av1gym corpus --source PATH [--source PATH ...] --encoder NAME[:key=value,...] [...]
                     --cq V [--cq V ...] [--grid NAME=v1,v2,...] --out rows.jsonl [options]

  --source PATH        a video (anything VideoReader opens); raw .yuv needs --width --height [--pix-fmt --fps]
  --encoder NAME[@LABEL][:k=v,...]  an encoder and its settings, e.g. av1:preset=10 (known: ${corpusEncoderNames().join(", ")});
                       LABEL names it in the rows, to compare one encoder at several settings (av1@p12:preset=12)
  --cq V               a quality value for every encoder, in its native knob (crf for av1)
  --grid NAME=v1,v2    values for one encoder, overriding --cq for it
  --frames N           encode and score at most N frames of each source
  --jobs N             cells in parallel (worker processes; default 1)
  --keep-encodes DIR   also write each cell's bitstream to DIR/<cell>.ivf|.webm|.mp4
  --psnr --ssim --ms-ssim   more metrics per frame; --model PATH adds a VMAF model (repeatable)
  --force              recompute cells the output already has
  --out PATH           the rows file (JSON Lines); an existing one is resumed: finished cells are skipped
  --queue redis://HOST:PORT/DB   run the cells as BullMQ jobs on that Redis: this process coordinates and
                       writes the rows; start workers (on any machine that sees the sources at the same
                       paths) with: av1gym corpus worker --queue redis://HOST:PORT/DB [--concurrency N]
  --attempts N         with --queue: tries per cell before it becomes an error row (default 3)
  --queue-name NAME    with --queue: the BullMQ queue (default av1gym-corpus); workers must use the same

exit status: 0 all cells succeeded; 1..100 that many cells failed; 101 the run could not start`;

const START_FAILED = 101;

function usage(msg: string): number {
  console.error(`av1gym corpus: ${msg}\n${CORPUS_USAGE}`);
  return START_FAILED;
}

function num(name: string, v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n)) throw new Error(`--${name} takes numbers (got "${v}")`);
  return n;
}

/** "av1@fast:preset=12,threads=1" → { name, label, options }; values that look numeric become numbers. */
export function parseEncoderArg(s: string): { name: string; label?: string; options: Record<string, string | number | boolean> } {
  const [head, rest] = s.split(/:(.*)/s) as [string, string | undefined];
  const [name, label] = head.split("@") as [string, string | undefined];
  const options: Record<string, string | number | boolean> = {};
  for (const kv of rest ? rest.split(",") : []) {
    const eq = kv.indexOf("=");
    if (eq <= 0) throw new Error(`--encoder ${s}: settings are key=value pairs separated by commas`);
    const k = kv.slice(0, eq), v = kv.slice(eq + 1);
    options[k] = v === "true" ? true : v === "false" ? false : v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : v;
  }
  return { name, ...(label ? { label } : {}), options };
}

export const WORKER_USAGE = `usage: av1gym corpus worker --queue redis://HOST:PORT/DB [--concurrency N] [--queue-name NAME]
                           [--lock-ms MS] [--stalled-ms MS]

  Takes corpus cells from the queue and runs them (N at a time, default 1, each slot a cell process started
  once) until stopped (SIGINT/SIGTERM let the running cells finish); prints "ready" once it takes cells.
  Sources are read by path: this machine must see them where the coordinator does. A worker silent for
  --lock-ms (default 30000) is taken as dead and its cell given to another; workers look for such cells
  every --stalled-ms (default 5000).`;

async function workerCommand(argv: string[]): Promise<number> {
  let a;
  try {
    a = parseArgs({
      args: argv,
      options: {
        queue: { type: "string" }, "queue-name": { type: "string" }, concurrency: { type: "string" },
        "lock-ms": { type: "string" }, "stalled-ms": { type: "string" }, help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
  } catch (e) {
    console.error(`av1gym corpus worker: ${(e as Error).message}\n${WORKER_USAGE}`);
    return START_FAILED;
  }
  if (a.help) {
    console.log(WORKER_USAGE);
    return 0;
  }
  if (!a.queue) {
    console.error(`av1gym corpus worker: give --queue\n${WORKER_USAGE}`);
    return START_FAILED;
  }
  try {
    const { startQueueWorker } = await import("../corpus/queue");
    const w = startQueueWorker({
      url: a.queue,
      concurrency: a.concurrency ? num("concurrency", a.concurrency) : 1,
      ...(a["queue-name"] ? { name: a["queue-name"] } : {}),
      ...(a["lock-ms"] ? { lockDurationMs: num("lock-ms", a["lock-ms"]) } : {}),
      ...(a["stalled-ms"] ? { stalledIntervalMs: num("stalled-ms", a["stalled-ms"]) } : {}),
      log: (line) => console.error(`av1gym corpus worker: ${line}`),
    });
    for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => void w.close());
    console.error(`av1gym corpus worker: starting (${a.queue})`);
    void w.ready.then(() => console.error(`av1gym corpus worker: ready, taking cells from ${a.queue}`));
    await w.closed;
    return 0;
  } catch (e) {
    console.error(`av1gym corpus worker: ${(e as Error).message}`);
    return START_FAILED;
  }
}

export async function corpusCommand(argv: string[]): Promise<number> {
  if (argv[0] === "worker") return workerCommand(argv.slice(1));
  let a;
  try {
    a = parseArgs({
      args: argv,
      options: {
        source: { type: "string", multiple: true }, encoder: { type: "string", multiple: true },
        cq: { type: "string", multiple: true }, grid: { type: "string", multiple: true },
        width: { type: "string" }, height: { type: "string" }, "pix-fmt": { type: "string" }, fps: { type: "string" },
        frames: { type: "string" }, jobs: { type: "string" }, "keep-encodes": { type: "string" }, out: { type: "string" },
        psnr: { type: "boolean" }, ssim: { type: "boolean" }, "ms-ssim": { type: "boolean" }, model: { type: "string", multiple: true },
        force: { type: "boolean" }, queue: { type: "string" }, attempts: { type: "string" }, "queue-name": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
  } catch (e) {
    return usage((e as Error).message);
  }
  if (a.help) {
    console.log(CORPUS_USAGE);
    return 0;
  }
  try {
    if (!a.source?.length) return usage("give at least one --source");
    if (!a.encoder?.length) return usage("give at least one --encoder");
    if (!a.out) return usage("give --out, the rows file");
    // --width/--height/--pix-fmt/--fps describe the raw (.yuv) sources; containers say their own.
    const sources = a.source.map((path) => {
      if (!RAW_EXTENSIONS.has(extname(path).toLowerCase())) return path;
      if (a.width === undefined || a.height === undefined)
        throw new Error(`${path} is raw video with no header: give --width and --height (and --pix-fmt, --fps if not yuv420p at 25)`);
      return { path, width: num("width", a.width), height: num("height", a.height), pixelFormat: a["pix-fmt"] ?? "yuv420p", ...(a.fps ? { fps: num("fps", a.fps) } : {}) };
    });
    const grid: Record<string, number[]> = {};
    for (const g of a.grid ?? []) {
      const [name, values] = g.split("=") as [string, string | undefined];
      if (!name || !values) throw new Error(`--grid ${g}: expected NAME=v1,v2,...`);
      grid[name] = values.split(",").map((v) => num("grid", v));
    }
    const run = a.queue
      ? ({ jobs: _jobs, ...o }: Parameters<typeof runCorpus>[0]) => // workers run the cells: --jobs is theirs (--concurrency)
          import("../corpus/queue").then((q) =>
            q.runCorpusQueued({
              ...o,
              queue: {
                url: a.queue!,
                ...(a.attempts ? { attempts: num("attempts", a.attempts) } : {}),
                ...(a["queue-name"] ? { name: a["queue-name"] } : {}),
                log: (line: string) => console.error(`av1gym corpus: ${line}`),
              },
            }),
          )
      : runCorpus;
    const result = await run({
      sources,
      encoders: a.encoder.map(parseEncoderArg),
      cq: (a.cq ?? []).flatMap((v) => v.split(",")).map((v) => num("cq", v)),
      grid,
      ...(a.frames ? { frames: num("frames", a.frames) } : {}),
      metrics: { psnr: !!a.psnr, ssim: !!a.ssim, msSsim: !!a["ms-ssim"], models: a.model ?? [] },
      out: a.out,
      jobs: a.jobs ? num("jobs", a.jobs) : 1,
      force: !!a.force,
      ...(a["keep-encodes"] ? { keepEncodes: a["keep-encodes"] } : {}),
      onCell: progressReporter(),
    });
    for (const p of result.problems) console.error(`av1gym corpus: ${a.out}:${p.line}: ${p.message} (line left as it is)`);
    console.error(
      `av1gym corpus: ${result.cells} cells: ${result.ran} run, ${result.skipped} already in ${a.out}, ${result.failed} failed`,
    );
    return Math.min(result.failed, 100);
  } catch (e) {
    if (e instanceof Av1GymError || e instanceof Error) {
      console.error(`av1gym corpus: ${e.message}`);
      return START_FAILED;
    }
    throw e;
  }
}
