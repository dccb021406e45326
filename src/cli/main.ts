#!/usr/bin/env bun
/**
 * The av1gym command line: `av1gym <command> [options]`. Commands:
 *   vmaf    VMAF (and PSNR / SSIM / MS-SSIM) of a distorted video against its reference.
 *   corpus, bdrate, report   the quality corpus (src/cli/corpus.ts, bdrate.ts, report.ts).
 *   rl-eval  a policy's BD-rates against SVT-AV1's default (src/cli/rl_eval.ts).
 */
import { Av1GymError } from "../core/errors";
import { parseArgs } from "./args";
// The metric modules (and through them the native library) are required only by the command that needs them:
// `--help` and argument errors then cost no more than Bun's own start-up.
type ScoreFilesModule = typeof import("../metrics/score_files");
type ModelModule = typeof import("../metrics/vmaf_model");
type MetricsModule = typeof import("../metrics/metrics");

const USAGE = `usage: av1gym <command> [options]

commands:
  vmaf    score a distorted video against its reference (libvmaf 3.2.0-compatible VMAF)
  corpus  encoders x quality grid over sources: per-frame VMAF rows (JSONL), resumable
  bdrate  BD-rate table of a corpus's rows against an anchor encoder
  report  a self-contained HTML report of a corpus (RD curves, BD-rates, per-frame VMAF)
  record-demo  record 2 generated cameras in real time, two episodes, joined by stream copy
  rl-eval encode clips with a policy and with SVT-AV1's default; RD points and BD-rates

run "av1gym <command> --help" for its options`;

const VMAF_USAGE = `usage: av1gym vmaf --ref REF --dis DIS [options]

  --ref PATH          reference video (any file VideoReader opens; .yuv needs --width/--height)
  --dis PATH          distorted video
  --model PATH        libvmaf JSON model; repeat for several (the first gives "vmaf").
                      Default: $AV1GYM_VMAF_MODEL, else the package's models/vmaf_v0.6.1.json
  --frames N          score only the first N frames
  --json PATH         write per-frame and pooled results in libvmaf's JSON layout
  --threads N         native threads for the features (default 1)
  --psnr --ssim --ms-ssim   also compute these
  --width W --height H --pix-fmt F   raw .yuv inputs (F: yuv420p, yuv420p10le)
  --percentiles P,..  add percentiles of the VMAF score (e.g. 5,50)
  --simd LEVEL        highest SIMD level of the kernels: none, avx2, avx512 (default: the best the CPU has)
  --quiet             no per-frame lines`;

function fail(msg: string, usage?: string): never {
  console.error(`av1gym: ${msg}`);
  if (usage) console.error(usage);
  process.exit(2);
}

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) fail(`--${name} must be a positive integer (got ${v})`, VMAF_USAGE);
  return n;
}

function vmafCommand(argv: string[]): void {
  let a;
  try {
    a = parseArgs(argv, {
      ref: { type: "string" }, dis: { type: "string" }, model: { type: "string", multiple: true },
      frames: { type: "string" }, json: { type: "string" }, threads: { type: "string" },
      psnr: { type: "boolean" }, ssim: { type: "boolean" }, "ms-ssim": { type: "boolean" },
      width: { type: "string" }, height: { type: "string" }, "pix-fmt": { type: "string" },
      percentiles: { type: "string" }, quiet: { type: "boolean" }, help: { type: "boolean", short: "h" },
      simd: { type: "string" },
    });
  } catch (e) {
    fail((e as Error).message, VMAF_USAGE);
  }
  if (a.help) {
    console.log(VMAF_USAGE);
    return;
  }
  if (!a.ref || !a.dis) fail("vmaf needs --ref and --dis", VMAF_USAGE);
  const { scoreCheckedFiles } = require("../metrics/score_files") as ScoreFilesModule;
  const { defaultModelPath } = require("../metrics/vmaf_model") as ModelModule;
  if (a.simd !== undefined) {
    const { setMetricsSimd, SIMD_LEVELS } = require("../metrics/metrics") as MetricsModule;
    if (!(SIMD_LEVELS as readonly string[]).includes(a.simd)) fail(`--simd must be one of ${SIMD_LEVELS.join(", ")} (got ${a.simd})`, VMAF_USAGE);
    setMetricsSimd(a.simd as (typeof SIMD_LEVELS)[number]);
  }
  const models = a.model ?? [defaultModelPath()];
  const percentiles = a.percentiles ? a.percentiles.split(",").map((p) => (p.trim() === "" ? NaN : Number(p))) : [];
  if (percentiles.some((p) => !(p >= 0 && p <= 100))) fail(`--percentiles must be numbers from 0 to 100 (got ${a.percentiles})`, VMAF_USAGE);
  const threads = int("threads", a.threads) ?? 1;
  if (threads > 64) fail(`--threads must be at most 64 (got ${threads})`, VMAF_USAGE);
  if (a.model?.some((m) => m === "")) fail("--model needs a path", VMAF_USAGE);
  const t0 = performance.now();
  // the arguments are checked here, so the library's option schema (and zod) is not loaded: start-up
  const res = scoreCheckedFiles(a.ref, a.dis, {
    models,
    frames: int("frames", a.frames),
    threads,
    psnr: !!a.psnr, ssim: !!a.ssim, msSsim: !!a["ms-ssim"],
    width: int("width", a.width), height: int("height", a.height),
    ...(a["pix-fmt"] ? { pixelFormat: a["pix-fmt"] } : {}),
    percentiles,
    ...(a.json ? { json: a.json } : {}),
    onFrame: a.quiet ? undefined : (f) => {
      const extra = Object.entries(f.metrics)
        .filter(([k]) => k.startsWith("psnr_") || k.startsWith("float_") || (k.startsWith("vmaf_") && k !== "vmaf"))
        .map(([k, v]) => ` ${k}=${v.toFixed(4)}`).join("");
      console.log(`frame ${f.frameNum}: vmaf=${f.vmaf.toFixed(6)}${extra}`);
    },
  });
  const secs = (performance.now() - t0) / 1000;
  if (res.lengthMismatch)
    console.error(`av1gym: the inputs differ in length (ref ${res.refFrameCount} frames, dis ${res.disFrameCount}): scored the first ${res.scored}`);
  const v = res.vmaf;
  const pct = percentiles.map((p) => ` p${p}=${(v[`p${p}`] as number).toFixed(4)}`).join("");
  console.log(`VMAF (${models[0]}): mean=${v.mean.toFixed(6)} harmonic_mean=${v.harmonic_mean.toFixed(6)} min=${v.min.toFixed(6)} max=${v.max.toFixed(6)}${pct}`);
  for (const [k, p] of Object.entries(res.pooled))
    if (k.startsWith("vmaf_") || k.startsWith("psnr_") || k.startsWith("float_")) console.log(`${k}: mean=${p.mean.toFixed(6)} min=${p.min.toFixed(6)}`);
  console.log(`${res.scored} frames in ${secs.toFixed(2)} s (${(res.scored / secs).toFixed(1)} frames/s)${a.json ? `; JSON written to ${a.json}` : ""}`);
}

function main(argv: string[]): void {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === "--help" || cmd === "-h" || cmd === "help") {
    console.log(USAGE);
    return;
  }
  // Commands in files of their own are imported on use, so one command's start-up never pays for another's.
  const lazy: Record<string, () => Promise<number>> = {
    corpus: async () => (await import("./corpus")).corpusCommand(rest),
    bdrate: async () => (await import("./bdrate")).bdrateCommand(rest),
    report: async () => (await import("./report")).reportCommand(rest),
    "record-demo": async () => (await import("./record_demo")).recordDemoCommand(rest),
  };
  if (lazy[cmd]) {
    lazy[cmd]().then((code) => process.exit(code));
    return;
  }
  if (cmd === "rl-eval") {
    import("./rl_eval")
      .then((m) => m.rlEvalCommand(rest))
      .catch((e) => {
        if (e instanceof Av1GymError) fail(`${e.name}: ${e.message}`);
        throw e;
      });
    return;
  }
  try {
    if (cmd === "vmaf") return vmafCommand(rest);
  } catch (e) {
    if (e instanceof Av1GymError) fail(`${e.name}: ${e.message}`);
    throw e;
  }
  fail(`unknown command "${cmd}"`, USAGE);
}

main(process.argv.slice(2));
