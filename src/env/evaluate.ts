/**
 * Policy evaluation: encode clips at several rate points with a policy and with SVT-AV1's default (all-zero
 * actions: no ROI map, no frame qp), measure every frame's reconstruction (PSNR-Y, SSIM, VMAF), and report RD
 * points and Bjøntegaard delta rates per clip and averaged. This is the number a policy is judged by; an
 * episode's reward is only a proxy for it.
 */
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { BdRateError, InvalidArgumentError } from "../core/errors";
import { bdRate, type RdPoint } from "../metrics/bdrate";
import { VmafScorer } from "../metrics/vmaf";
import { Env, type Observation, type ResetInfo, type StepAction, type StepInfo } from "./env";
import { zodMessage, type EnvOptions } from "./options";

/** What a policy decides per observation: anything `Env.step` takes. */
export type PolicyFn = (obs: Observation, ctx: PolicyContext) => StepAction;

export interface PolicyContext {
  env: Env;
  /** Frame index within the episode. */
  step: number;
  reset: ResetInfo;
  /** The previous step's info (undefined on the first frame). */
  info?: StepInfo;
}

/** A policy: a function, or an object with `act` and the Env options it was trained with. */
export interface Policy {
  name?: string;
  /** Env options the policy needs (action levels, action kind); source, encoder and reward are the harness's. */
  env?: Omit<EnvOptions, "source" | "encoder" | "reward" | "start" | "maxFrames" | "randomStart" | "recon">;
  /** Encoder settings the policy's actions need (frame qp actions, fixed per-layer offsets); preset and rate are
   * the harness's. */
  encoder?: { frameQp?: boolean; layerQindexOffsets?: number[]; keyFrameQindexOffset?: number };
  /** Called at the start of every clip and rate point. */
  reset?(ctx: { env: Env; reset: ResetInfo }): void;
  act: PolicyFn;
}

export type MetricName = "psnr_y" | "ssim" | "vmaf";
export const METRICS: readonly MetricName[] = ["psnr_y", "ssim", "vmaf"];

/** Clips in ../shared/clips never used for training: the harness's default evaluation set. */
export const HELD_OUT_CLIPS: readonly string[] = Object.freeze(["bikes_640x272_250f.mp4", "carphone_176x144_120f.mp4"]);
/** Clips in ../shared/clips the training examples draw windows from (different content from the held-out set). */
export const TRAINING_CLIPS: readonly string[] = Object.freeze(["seeking_384x288_150f.mp4", "seeking_720x480_150f.mp4", "parkjoy_480x270_10f.y4m"]);

/** ../shared/clips/<name>, next to the package root. */
export function sharedClip(name: string): string {
  return resolve(import.meta.dir, "..", "..", "..", "shared", "clips", name);
}

export type ProgressFn = (e: { clip: string; crf: number; side: "policy" | "anchor"; row: RdRow }) => void;

const ClipSpec = z.union([z.string().min(1), z.object({ path: z.string().min(1), start: z.number().int().min(0).default(0) }).strict()]);
const EvaluateOptionsSchema = z
  .object({
    /** Paths (or { path, start }); default: HELD_OUT_CLIPS from ../shared/clips. */
    clips: z.array(ClipSpec).min(1).optional(),
    /** CRF rate points, at least 4 (BD needs 4 points per curve). */
    rates: z.array(z.number().int().min(1).max(63)).min(4, "BD-rate needs at least 4 rate points").default([27, 35, 43, 51]),
    preset: z.number().int().min(0).max(13).default(10),
    /** Frames per clip, from its start. */
    frames: z.number().int().min(2).default(60),
    metrics: z.array(z.enum(["psnr_y", "ssim", "vmaf"])).min(1).default([...METRICS]),
    /** libvmaf JSON model for VMAF (default: the package's vmaf_v0.6.1.json). */
    vmafModel: z.string().min(1).optional(),
    /** Called after each encode (clip, rate, which side) for progress output. */
    onProgress: z.custom<ProgressFn>((f) => typeof f === "function", "a function").optional(),
  })
  .strict()
  .refine((o) => new Set(o.rates).size === o.rates.length, { message: "rates must be distinct", path: ["rates"] });
export type EvaluateOptions = z.input<typeof EvaluateOptionsSchema>;

/** One encode: rate and mean per-frame quality. */
export interface RdRow {
  crf: number;
  bytes: number;
  kbps: number;
  psnr_y?: number;
  ssim?: number;
  vmaf?: number;
}

export interface ClipEvaluation {
  clip: string;
  start: number;
  frames: number;
  policy: RdRow[];
  anchor: RdRow[];
  /** BD-rate (%) of the policy against the default per metric; null with the reason when BD is undefined. */
  bdrate: Partial<Record<MetricName, number | null>>;
  errors?: Partial<Record<MetricName, string>>;
}

export interface Evaluation {
  policy: string;
  settings: { preset: number; frames: number; rates: number[]; predStructure: "low-delay"; metrics: MetricName[] };
  clips: ClipEvaluation[];
  /** Mean BD-rate over the clips where it is defined. */
  average: Partial<Record<MetricName, number | null>>;
}

/** The default's RD rows, by clip window and settings (they do not depend on the policy). */
const anchorCache = new Map<string, RdRow[]>();

/** All-zero actions: SVT-AV1's own path (no map is ever sent). */
export const ZERO_POLICY: Policy = {
  name: "zero",
  act: (_obs, { env }) => new Int8Array(env.sbRows * env.sbCols).fill(Math.max(0, env.actionLevels.indexOf(0))),
};

/** Accepts a function or a policy object; checks its shape. */
export function toPolicy(p: unknown, name = "policy"): Policy {
  if (typeof p === "function") return { name, act: p as PolicyFn };
  if (p && typeof p === "object" && typeof (p as Policy).act === "function") return { name, ...(p as Policy) };
  throw new InvalidArgumentError(`${name}: a policy is a function (obs, ctx) => action or an object with act()`);
}

/** Imports a policy module: its default export (or `policy`), a function or a Policy object. */
export async function loadPolicy(path: string): Promise<Policy> {
  const abs = isAbsolute(path) ? path : resolve(process.cwd(), path);
  if (!existsSync(abs)) throw new InvalidArgumentError(`policy module ${path} does not exist`);
  const mod = await import(pathToFileURL(abs).href);
  const p = mod.default ?? mod.policy;
  if (p === undefined) throw new InvalidArgumentError(`policy module ${path} exports no default (or \`policy\`)`);
  const name = abs.split("/").pop()!.replace(/\.[jt]s$/, "");
  return toPolicy(p, (p as Policy).name ?? name);
}

/** Encodes every clip at every rate with `policy` and with the default, and computes BD-rates. */
export function evaluatePolicy(policyIn: Policy | PolicyFn, options: EvaluateOptions = {}): Evaluation {
  const r = EvaluateOptionsSchema.safeParse(options);
  if (!r.success) throw new InvalidArgumentError(zodMessage(r.error, "evaluatePolicy options"));
  const o = r.data;
  const policy = toPolicy(policyIn);
  const clips = (o.clips ?? HELD_OUT_CLIPS.map(sharedClip)).map((c) => (typeof c === "string" ? { path: c, start: 0 } : { path: c.path, start: c.start ?? 0 }));
  const rates = [...o.rates].sort((a, b) => a - b);
  const progress = o.onProgress;
  const out: ClipEvaluation[] = [];
  for (const clip of clips) {
    const polRows: RdRow[] = [];
    const ancRows: RdRow[] = [];
    for (const crf of rates) {
      const row = encodeWithPolicy(policy, clip, crf, o);
      progress?.({ clip: clip.path, crf, side: "policy", row });
      polRows.push(row);
      const key = JSON.stringify([resolve(clip.path), clip.start, crf, o.preset, o.frames, o.metrics, o.vmafModel ?? ""]);
      let anc = anchorCache.get(key);
      if (!anc) {
        anc = [encodeWithPolicy(ZERO_POLICY, clip, crf, o)];
        anchorCache.set(key, anc);
      }
      progress?.({ clip: clip.path, crf, side: "anchor", row: anc[0]! });
      ancRows.push(anc[0]!);
    }
    const bd: ClipEvaluation["bdrate"] = {};
    const errors: NonNullable<ClipEvaluation["errors"]> = {};
    for (const m of o.metrics) {
      try {
        bd[m] = bdRate(curve(ancRows, m), curve(polRows, m));
      } catch (e) {
        if (!(e instanceof BdRateError)) throw e;
        bd[m] = null;
        errors[m] = `${e.reason}: ${e.message}`;
      }
    }
    out.push({ clip: clip.path, start: clip.start, frames: polRows.length ? o.frames : 0, policy: polRows, anchor: ancRows, bdrate: bd, ...(Object.keys(errors).length ? { errors } : {}) });
  }
  const average: Evaluation["average"] = {};
  for (const m of o.metrics) {
    const v = out.map((c) => c.bdrate[m]).filter((x): x is number => typeof x === "number");
    average[m] = v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
  }
  return {
    policy: policy.name ?? "policy",
    settings: { preset: o.preset, frames: o.frames, rates, predStructure: "low-delay", metrics: o.metrics },
    clips: out,
    average,
  };
}

function curve(rows: RdRow[], m: MetricName): RdPoint[] {
  return rows.map((r) => ({ rate: r.bytes, quality: r[m]! }));
}

/** One low-delay encode of a clip window at one CRF, driven by the policy through the Env. */
function encodeWithPolicy(policy: Policy, clip: { path: string; start: number }, crf: number, o: z.output<typeof EvaluateOptionsSchema>): RdRow {
  using env = new Env({
    ...(policy.env ?? {}),
    source: clip.path,
    start: clip.start,
    maxFrames: o.frames,
    encoder: { ...(policy.encoder ?? {}), preset: o.preset, crf },
    reward: { mode: "absolute", distortion: "psnr" },
    recon: true,
  });
  if (env.frameCount - clip.start < o.frames)
    throw new InvalidArgumentError(`${clip.path} has ${env.frameCount} frames; ${o.frames} from ${clip.start} are needed`);
  const wantScorer = o.metrics.includes("vmaf") || o.metrics.includes("ssim");
  const scorer = wantScorer ? new VmafScorer({ width: env.width, height: env.height, ssim: true, ...(o.vmafModel ? { models: o.vmafModel } : {}) }) : null;
  let bytes = 0, psnrSum = 0, vmafSum = 0, ssimSum = 0, scored = 0;
  const add = (fr: { vmaf: number; metrics: Record<string, number> }[]) => {
    for (const f of fr) {
      vmafSum += f.vmaf;
      ssimSum += f.metrics.float_ssim ?? NaN;
      scored++;
    }
  };
  try {
    let [obs, reset] = env.reset({ seed: 0, options: { start: clip.start } });
    policy.reset?.({ env, reset });
    let info: StepInfo | undefined;
    for (let t = 0; t < o.frames; t++) {
      const action = policy.act(obs, { env, step: t, reset, info });
      const [next, , terminated, truncated, stepInfo] = env.step(action);
      bytes += stepInfo.bytes;
      psnrSum += stepInfo.psnrY;
      if (scorer) add(scorer.push(stepInfo.source!, stepInfo.recon!));
      info = stepInfo;
      obs = next;
      if (terminated || truncated) break;
    }
    if (scorer) add(scorer.flush());
  } finally {
    scorer?.close();
  }
  const fps = env.fps;
  const row: RdRow = { crf, bytes, kbps: (bytes * 8 * fps) / o.frames / 1000 };
  if (o.metrics.includes("psnr_y")) row.psnr_y = psnrSum / o.frames;
  if (o.metrics.includes("ssim")) row.ssim = ssimSum / scored;
  if (o.metrics.includes("vmaf")) row.vmaf = vmafSum / scored;
  return row;
}

/** Empties the cache of default-encoder RD rows. */
export function clearAnchorCache(): void {
  anchorCache.clear();
}

const fmt = (v: number | null | undefined, d = 2) => (v === null || v === undefined ? "n/a" : (v >= 0 ? "+" : "") + v.toFixed(d));

/** A plain-text report: RD points per clip, BD-rates per clip and averaged. */
export function formatEvaluation(e: Evaluation): string {
  const ms = e.settings.metrics;
  const lines = [`policy ${e.policy}: preset ${e.settings.preset}, low delay, ${e.settings.frames} frames, CRF ${e.settings.rates.join("/")}`];
  for (const c of e.clips) {
    lines.push(`\n${c.clip.split("/").pop()} (frames ${c.start}..${c.start + c.frames - 1})`);
    lines.push(["crf", "side", "kbps", ...ms].map((s) => s.padStart(9)).join(""));
    c.policy.forEach((p, i) => {
      for (const [side, row] of [["policy", p], ["default", c.anchor[i]!]] as const)
        lines.push([String(row.crf), side, row.kbps.toFixed(1), ...ms.map((m) => (row[m] ?? NaN).toFixed(m === "ssim" ? 5 : 3))].map((s) => s.padStart(9)).join(""));
    });
    lines.push(`  BD-rate: ${ms.map((m) => `${m} ${fmt(c.bdrate[m])} %`).join(", ")}`);
    for (const [m, err] of Object.entries(c.errors ?? {})) lines.push(`  (${m}: ${err})`);
  }
  lines.push(`\naverage BD-rate over ${e.clips.length} clip(s): ${ms.map((m) => `${m} ${fmt(e.average[m])} %`).join(", ")} (negative = fewer bits than SVT-AV1's default)`);
  return lines.join("\n");
}

