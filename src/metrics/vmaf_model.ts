/**
 * libvmaf JSON models (vmaf_v0.6.1.json, vmaf_v0.6.1neg.json, vmaf_4k_v0.6.1.json ...): parsed here, the SVM
 * evaluated in C (lib/metrics/vmaf_model.c). Only what libvmaf itself reads is used: `model_dict` with
 * feature_names, feature_opts_dicts (enhancement gain limit), norm_type linear_rescale, slopes, intercepts,
 * score_clip, score_transform (only when `"enabled": true`) and the libsvm text in `model`.
 */
import { ptr, type Pointer } from "bun:ffi";
import { readTextFile } from "../core/file";
import { baseName, joinPath, parentDir } from "../core/paths";
import { metricsChecks, metricsNative as native } from "../native/ffi";
import { NativeHandle } from "../native/handle";
import { FileError, FormatError } from "../core/errors";
// the metrics-only library: scoring never loads libav or SVT-AV1 (src/native/ffi.ts)
const { checkHandle } = metricsChecks;

/** The SVM inputs, in the order the C side expects them. */
export const MODEL_FEATURES = ["adm2", "motion2", "vif_scale0", "vif_scale1", "vif_scale2", "vif_scale3"] as const;
export type ModelFeature = (typeof MODEL_FEATURES)[number];

/** Where the CLI and scoreFiles look for the default model when none is given. */
export const DEFAULT_MODEL_ENV = "AV1GYM_VMAF_MODEL";
export const DEFAULT_MODEL_FALLBACK = joinPath(parentDir(import.meta.dir, 2), "models", "vmaf_v0.6.1.json");

/** The default model path: $AV1GYM_VMAF_MODEL, else the package's models/vmaf_v0.6.1.json; FileError if neither exists. */
export function defaultModelPath(): string {
  const env = process.env[DEFAULT_MODEL_ENV];
  if (env) return env;
  if (Bun.file(DEFAULT_MODEL_FALLBACK).size > 0) return DEFAULT_MODEL_FALLBACK; // a stat without node:fs
  throw new FileError(
    `no VMAF model given: pass a libvmaf JSON model (e.g. vmaf_v0.6.1.json from libvmaf's model/ directory, ` +
      `BSD-2-Clause-Patent) with --model / { model: path }, or set ${DEFAULT_MODEL_ENV}; ` +
      `looked for ${DEFAULT_MODEL_FALLBACK}`,
  );
}

interface Transform {
  p0: number;
  p1: number;
  p2: number;
  outGteIn: boolean;
  outLteIn: boolean;
}

// No regular expressions on the model's path: the first one a process runs costs ~2 ms (the regex engine's
// set-up), a few per cent of `av1gym vmaf`'s start-up.
/** Maps a libvmaf feature name (e.g. VMAF_integer_feature_vif_scale0_score) to our SVM input. */
function featureOf(name: string): ModelFeature | null {
  const n = name.toLowerCase();
  if (n.includes("adm2")) return "adm2";
  if (n.includes("motion2")) return "motion2";
  const i = n.indexOf("vif_scale");
  const d = i < 0 ? "" : n.charAt(i + 9);
  return d >= "0" && d <= "3" ? (`vif_scale${d}` as ModelFeature) : null;
}

/** The whitespace-separated words of a line. */
const words = (line: string): string[] => line.replaceAll("\t", " ").split(" ").filter((w) => w !== "");

const freeModel = (h: Pointer) => native().ag_vmaf_model_free(h);

/** A loaded VMAF model. `neg` models (enhancement gain limit 1) use the egl-1 ADM/VIF features. */
export class VmafModel extends NativeHandle {
  readonly path: string;
  /** e.g. "vmaf_v0.6.1" or "vmaf_v0.6.1neg" (the file name without .json). */
  readonly name: string;
  /** Enhancement gain limit applied to ADM and VIF (100 = libvmaf default, 1 = NEG). */
  readonly enhancementGainLimit: number;
  #order: number[]; // model input k reads our feature #order[k]
  #transform: Transform | null;
  #clip: [number, number];
  #buf = new Float64Array(MODEL_FEATURES.length);

  private constructor(path: string, name: string, handle: Pointer, order: number[], egl: number, t: Transform | null, clip: [number, number]) {
    // Freed when collected if never closed.
    super("VmafModel", handle, freeModel);
    this.path = path;
    this.name = name;
    this.#order = order;
    this.enhancementGainLimit = egl;
    this.#transform = t;
    this.#clip = clip;
  }

  /** Reads a libvmaf JSON model. FileError if it cannot be read, FormatError if it is not a usable model. */
  static load(path: string): VmafModel {
    let text: string;
    try {
      text = readTextFile(path);
    } catch (e) {
      // the message starts with the path and says why (missing, a directory ...)
      throw new FileError(`cannot read VMAF model ${(e as Error).message}`, { cause: e });
    }
    let json: any;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new FormatError(`VMAF model ${path} is not valid JSON: ${(e as Error).message}`, { cause: e });
    }
    return VmafModel.fromJson(json, path);
  }

  /** Builds a model from parsed libvmaf JSON (`path` is only used in messages and the name). */
  static fromJson(json: any, path = "<json>"): VmafModel {
    const bad = (msg: string): never => {
      throw new FormatError(`VMAF model ${path}: ${msg}`);
    };
    const md = json?.model_dict;
    if (!md || typeof md !== "object") bad("missing model_dict (is this a libvmaf JSON model?)");
    const names = md.feature_names;
    if (!Array.isArray(names) || names.length !== MODEL_FEATURES.length)
      bad(`feature_names must list the ${MODEL_FEATURES.length} VMAF features (adm2, motion2, vif_scale0..3)`);
    const order = names.map((n: unknown) => {
      const f = typeof n === "string" ? featureOf(n) : null;
      if (!f) bad(`unsupported feature ${JSON.stringify(n)} (supported: adm2, motion2, vif_scale0..3)`);
      return MODEL_FEATURES.indexOf(f!);
    });
    if (new Set(order).size !== order.length) bad("feature_names repeats a feature");
    if ((md.norm_type ?? "linear_rescale") !== "linear_rescale") bad(`norm_type ${md.norm_type} unsupported (only linear_rescale)`);
    const nums = (v: unknown, n: number, what: string): number[] => {
      if (!Array.isArray(v) || v.length !== n || !v.every((x) => typeof x === "number" && Number.isFinite(x)))
        bad(`${what} must be ${n} finite numbers`);
      return v as number[];
    };
    const slopes = nums(md.slopes, 7, "slopes");
    const intercepts = nums(md.intercepts, 7, "intercepts");
    // Gain limit: from feature_opts_dicts (adm_enhn_gain_limit / vif_enhn_gain_limit); one value for both.
    let egl = 100;
    if (md.feature_opts_dicts !== undefined) {
      if (!Array.isArray(md.feature_opts_dicts)) bad("feature_opts_dicts must be an array");
      const vals = new Set<number>();
      for (const d of md.feature_opts_dicts) {
        for (const [k, v] of Object.entries(d ?? {})) {
          if (k === "adm_enhn_gain_limit" || k === "vif_enhn_gain_limit") vals.add(Number(v));
          else bad(`unsupported feature option ${k}`);
        }
      }
      if (vals.size > 1) bad("different gain limits for ADM and VIF are not supported");
      if (vals.size === 1) egl = [...vals][0]!;
      if (egl !== 1 && egl !== 100) bad(`enhancement gain limit ${egl} unsupported (only 1 and the default 100)`);
    }
    const svm = parseLibsvm(typeof md.model === "string" ? md.model : bad("missing the libsvm text in model_dict.model"), bad);
    let clip: [number, number] = [-Infinity, Infinity];
    if (md.score_clip !== undefined) clip = nums(md.score_clip, 2, "score_clip") as [number, number];
    if (!(clip[0] <= clip[1])) bad(`score_clip [${clip[0]}, ${clip[1]}] is not a range (low > high)`);
    // score_transform: every field checked, so a malformed one is refused here instead of scoring NaN.
    const flag = (v: unknown, what: string): boolean => {
      if (v === undefined || v === false || v === "false") return false;
      if (v === true || v === "true") return true;
      return bad(`score_transform.${what} must be true or false (got ${JSON.stringify(v)})`);
    };
    const coef = (v: unknown, dflt: number, what: string): number => {
      if (v === undefined) return dflt;
      if (typeof v !== "number" || !Number.isFinite(v)) bad(`score_transform.${what} must be a finite number (got ${JSON.stringify(v)})`);
      return v as number;
    };
    let transform: Transform | null = null;
    const st = md.score_transform;
    if (st !== undefined && (st === null || typeof st !== "object" || Array.isArray(st))) bad("score_transform must be an object");
    if (st && flag(st.enabled, "enabled")) {
      transform = {
        p0: coef(st.p0, 0, "p0"),
        p1: coef(st.p1, 1, "p1"),
        p2: coef(st.p2, 0, "p2"),
        outGteIn: flag(st.out_gte_in, "out_gte_in"),
        outLteIn: flag(st.out_lte_in, "out_lte_in"),
      };
      if (st.knots !== undefined) bad("score_transform knots are not supported");
    }
    const h = native().ag_vmaf_model_new(
      svm.coef.length, ptr(svm.sv), ptr(svm.coef), svm.gamma, svm.rho,
      ptr(new Float64Array(slopes)), ptr(new Float64Array(intercepts)), -Infinity, Infinity,
    );
    const base = baseName(path);
    const name = base.toLowerCase().endsWith(".json") ? base.slice(0, -5) : base;
    return new VmafModel(path, name, checkHandle(h as Pointer | null, `VMAF model ${path}`), order, egl, transform, clip);
  }

  /** The VMAF score for one frame's features (adm2, motion2, vif_scale0..3; NEG models take the egl-1 ones). */
  predict(f: Record<ModelFeature, number>): number {
    for (let k = 0; k < this.#order.length; k++) this.#buf[k] = f[MODEL_FEATURES[this.#order[k]!]!];
    let y = native().ag_vmaf_model_predict(this.handle("predict"), ptr(this.#buf), this.#buf.length);
    const t = this.#transform;
    if (t) {
      const x = y;
      y = t.p0 + t.p1 * x + t.p2 * x * x;
      if (t.outGteIn && y < x) y = x;
      if (t.outLteIn && y > x) y = x;
    }
    return Math.min(this.#clip[1], Math.max(this.#clip[0], y));
  }
}

/**
 * The SV lines the usual way round ("coef idx:val idx:val ...", single spaces) parsed as JSON, natively: 1-2 ms
 * against ~5 ms for the line-by-line parse at a cold start (vmaf_v0.6.1's 211 SVs), several per cent of
 * `av1gym vmaf`'s start-up. Both convert decimals the same correctly rounded way. null for any other shape, and for anything
 * the line-by-line parse would refuse: that parse then decides, with its messages.
 */
function svsAsJson(body: string): { coef: number[]; sv: number[] } | null {
  // "c 1:a 2:b \n" lines -> [[[c],[1,a],[2,b]], ...]
  const lines = body.replaceAll(" \n", "\n").trim();
  let rows: unknown;
  try {
    rows = JSON.parse(`[[[${lines.replaceAll("\n", "]],[[").replaceAll(" ", "],[").replaceAll(":", ",")}]]]`);
  } catch {
    return null;
  }
  // indexed loops, no destructuring or spreads: this runs once, cold, where iterators cost several ms
  const all = rows as unknown[][][];
  const coef = new Array<number>(all.length), sv = new Array<number>(all.length * MODEL_FEATURES.length).fill(0);
  for (let r = 0; r < all.length; r++) {
    const row = all[r]!;
    const c = row[0]!.length === 1 ? row[0]![0] : undefined;
    if (typeof c !== "number" || !Number.isFinite(c)) return null;
    coef[r] = c;
    for (let k = 1; k < row.length; k++) {
      const pair = row[k]!, idx = pair[0], x = pair[1];
      if (pair.length !== 2 || typeof idx !== "number" || !Number.isInteger(idx) || idx < 1 || idx > MODEL_FEATURES.length) return null;
      if (typeof x !== "number" || !Number.isFinite(x)) return null;
      sv[r * MODEL_FEATURES.length + idx - 1] = x;
    }
  }
  return { coef, sv };
}

/** Parses libsvm's text model (nu_svr/epsilon_svr, rbf) into dense SVs (missing indices are 0). `fast`: try
 * svsAsJson first (false: only the line-by-line parse, which the tests compare it with). */
export function parseLibsvm(text: string, bad: (m: string) => never, fast = true) {
  const lines = text.split("\n");
  let gamma = NaN, rho = NaN, total = -1, i = 0;
  for (; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l === "SV") break;
    const [k, v] = words(l);
    if (k === "kernel_type" && v !== "rbf") bad(`kernel_type ${v} unsupported (only rbf)`);
    if (k === "svm_type" && v !== "nu_svr" && v !== "epsilon_svr") bad(`svm_type ${v} unsupported`);
    if (k === "gamma") gamma = Number(v);
    if (k === "rho") rho = Number(v);
    if (k === "total_sv") total = Number(v);
  }
  if (i >= lines.length) bad("libsvm model has no SV section");
  if (!Number.isFinite(gamma) || !Number.isFinite(rho)) bad("libsvm model lacks gamma or rho");
  const quick = fast ? svsAsJson(lines.slice(i + 1).join("\n")) : null;
  const coef: number[] = quick?.coef ?? [];
  const sv: number[] = quick?.sv ?? [];
  for (i = quick ? lines.length : i + 1; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (!l) continue;
    const parts = words(l);
    const c = Number(parts[0]);
    if (!Number.isFinite(c)) bad(`bad SV line ${JSON.stringify(l.slice(0, 40))}`);
    const row = new Array(MODEL_FEATURES.length).fill(0);
    for (const p of parts.slice(1)) {
      const [idx, val] = p.split(":");
      const k = Number(idx) - 1;
      const x = Number(val);
      if (!Number.isInteger(k) || k < 0 || k >= row.length || !Number.isFinite(x)) bad(`bad SV entry ${JSON.stringify(p)}`);
      row[k] = x;
    }
    coef.push(c);
    sv.push(...row);
  }
  if (coef.length === 0) bad("libsvm model has no support vectors");
  if (total >= 0 && total !== coef.length) bad(`total_sv says ${total} but ${coef.length} SVs follow`);
  return { gamma, rho, coef: new Float64Array(coef), sv: new Float64Array(sv) };
}

/** Loads a model given as a path, or returns it as is. */
export function toModel(m: string | VmafModel): VmafModel {
  return typeof m === "string" ? VmafModel.load(m) : m;
}

