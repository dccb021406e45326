/**
 * `av1gym rl-eval --policy module.ts [...]`: a policy against SVT-AV1's default on clips at several rates
 * (evaluatePolicy), as a table and optionally as JSON.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { InvalidArgumentError } from "../core/errors";
import { evaluatePolicy, formatEvaluation, HELD_OUT_CLIPS, loadPolicy, METRICS, sharedClip, type MetricName } from "../env/evaluate";

export const RL_EVAL_USAGE = `usage: av1gym rl-eval --policy MODULE [options]

  --policy PATH       a module whose default export is a policy: (obs, ctx) => action, or { act, encoder?, env? }
  --clip PATH         a clip to encode (repeat; default: the held-out set ${HELD_OUT_CLIPS.join(", ")} in ../shared/clips)
  --start N           first frame of every clip (default 0)
  --frames N          frames per clip (default 60)
  --rates A,B,C,D     CRF rate points, at least 4 (default 27,35,43,51)
  --preset N          SVT-AV1 preset (default 10)
  --metrics LIST      psnr_y,ssim,vmaf (default all)
  --vmaf-model PATH   libvmaf JSON model (default: the package's vmaf_v0.6.1.json)
  --json PATH         also write the result as JSON ("-" for standard output, instead of the table)
  --quiet             no progress lines`;

const posInt = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`--${name} must be a non-negative integer (got ${v})`);
  return n;
};

export async function rlEvalCommand(argv: string[]): Promise<void> {
  let a;
  try {
    a = parseArgs({
      args: argv,
      options: {
        policy: { type: "string" }, clip: { type: "string", multiple: true }, start: { type: "string" }, frames: { type: "string" },
        rates: { type: "string" }, preset: { type: "string" }, metrics: { type: "string" }, "vmaf-model": { type: "string" },
        json: { type: "string" }, quiet: { type: "boolean" }, help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
  } catch (e) {
    throw new InvalidArgumentError(`${(e as Error).message}\n${RL_EVAL_USAGE}`);
  }
  if (a.help) {
    console.log(RL_EVAL_USAGE);
    return;
  }
  if (!a.policy) throw new InvalidArgumentError(`rl-eval needs --policy\n${RL_EVAL_USAGE}`);
  const policy = await loadPolicy(a.policy);
  const start = posInt("start", a.start) ?? 0;
  const metrics = a.metrics ? (a.metrics.split(",") as MetricName[]) : [...METRICS];
  for (const m of metrics) if (!METRICS.includes(m)) throw new InvalidArgumentError(`--metrics: unknown metric "${m}" (use ${METRICS.join(", ")})`);
  const toStdout = a.json === "-";
  const result = evaluatePolicy(policy, {
    clips: (a.clip ?? HELD_OUT_CLIPS.map(sharedClip)).map((path) => ({ path, start })),
    ...(a.frames !== undefined ? { frames: posInt("frames", a.frames)! } : {}),
    ...(a.rates !== undefined ? { rates: a.rates.split(",").map(Number) } : {}),
    ...(a.preset !== undefined ? { preset: posInt("preset", a.preset)! } : {}),
    ...(a["vmaf-model"] ? { vmafModel: a["vmaf-model"] } : {}),
    metrics,
    onProgress: a.quiet || toStdout ? undefined : (e) =>
      console.error(`  ${e.clip.split("/").pop()} crf ${e.crf} ${e.side}: ${e.row.kbps.toFixed(1)} kbps`),
  });
  if (toStdout) console.log(JSON.stringify(result));
  else {
    console.log(formatEvaluation(result));
    if (a.json) writeFileSync(a.json, JSON.stringify(result, null, 1) + "\n");
  }
}
