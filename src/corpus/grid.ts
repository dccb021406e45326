/**
 * The corpus grid: sources × encoders × quality values, each cell with an id derived from everything that
 * decides its rows (the source's content identity, the encoder and its options, the knob value, the frame
 * limit, the metrics, av1gym's version), so a rerun recognises finished cells and a changed file or
 * setting is a new cell, never a stale one.
 */
import { createHash } from "node:crypto";
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { FileError, InvalidArgumentError } from "../core/errors";
import { corpusEncoder } from "./encoders";
import pkg from "../../package.json" with { type: "json" };

export const AV1GYM_VERSION: string = pkg.version;

const int = (what: string) => z.number({ invalid_type_error: `${what} must be a number` }).int(`${what} must be an integer`);

const SourceSchema = z
  .object({
    path: z.string().min(1, "a source needs a path"),
    /** Raw .yuv only: size, pixel format (yuv420p, yuv420p10le ...) and frame rate. */
    width: int("width").positive().optional(),
    height: int("height").positive().optional(),
    pixelFormat: z.string().optional(),
    fps: z.number().positive().optional(),
  })
  .strict();
export type SourceSpec = z.infer<typeof SourceSchema>;

const EncoderSchema = z
  .object({
    name: z.string().min(1),
    /** The name rows carry (default: `name`), to compare one encoder at several settings, e.g. two presets. */
    label: z.string().min(1).optional(),
    /** Encoder settings beyond the knob (e.g. { preset: 10 } for av1, { preset: "veryfast" } for x264). */
    options: z.record(z.union([z.string(), z.number(), z.boolean()])).default({}),
  })
  .strict();
export type EncoderSpec = z.input<typeof EncoderSchema>;

const MetricsSchema = z
  .object({
    psnr: z.boolean().default(false),
    ssim: z.boolean().default(false),
    msSsim: z.boolean().default(false),
    /** More VMAF model files; the default model (vmaf_v0.6.1) always gives `vmaf`. */
    models: z.array(z.string().min(1)).default([]),
  })
  .strict()
  .default({});

export const CorpusSpecSchema = z
  .object({
    sources: z.array(z.union([z.string().min(1), SourceSchema])).min(1, "give at least one source"),
    encoders: z.array(z.union([z.string().min(1), EncoderSchema])).min(1, "give at least one encoder"),
    /** Quality values for every encoder, each in its own native knob. */
    cq: z.array(z.number().finite()).default([]),
    /** Per-encoder values, overriding `cq` for that encoder. */
    grid: z.record(z.array(z.number().finite()).min(1)).default({}),
    /** Encode and score at most this many frames of each source. */
    frames: int("frames").positive().optional(),
    metrics: MetricsSchema,
  })
  .strict();
export type CorpusSpec = z.input<typeof CorpusSpecSchema>;
export type ParsedCorpusSpec = z.output<typeof CorpusSpecSchema>;

export interface CellSpec {
  id: string;
  source: SourceSpec & { identity: string };
  encoder: { name: string; label?: string; options: Record<string, string | number | boolean> };
  value: number;
  frames?: number;
  metrics: ParsedCorpusSpec["metrics"];
}

/** A short content identity of a file: its size and hashes of its first and last MiB (cheap on huge files). */
export function fileIdentity(path: string): string {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new FileError(`source ${path} cannot be read: ${(e as Error).message}`, { cause: e });
  }
  if (!st.isFile()) throw new FileError(`source ${path} is not a file`);
  const h = createHash("sha256").update(String(st.size));
  const fd = openSync(path, "r");
  try {
    const chunk = Buffer.alloc(Math.min(1 << 20, st.size));
    readSync(fd, chunk, 0, chunk.length, 0);
    h.update(chunk);
    if (st.size > chunk.length) {
      readSync(fd, chunk, 0, chunk.length, st.size - chunk.length);
      h.update(chunk);
    }
  } finally {
    closeSync(fd);
  }
  return h.digest("hex").slice(0, 16);
}

/** Parses a spec (InvalidArgumentError naming the field). */
export function parseCorpusSpec(spec: CorpusSpec): ParsedCorpusSpec {
  const r = CorpusSpecSchema.safeParse(spec);
  if (!r.success)
    throw new InvalidArgumentError(`invalid corpus spec: ${r.error.issues.map((i) => `${i.path.join(".") || "(spec)"}: ${i.message}`).join("; ")}`);
  return r.data;
}

/**
 * Every cell of the grid, in a stable order (source, encoder, value). Unknown encoders and knob values out
 * of an encoder's range are refused here, before anything runs. A source that cannot be read still gets its
 * cells (identity "unreadable"): they become error rows and the rest of the run goes on.
 */
export function planCells(spec: CorpusSpec): CellSpec[] {
  const s = parseCorpusSpec(spec);
  const encoders = s.encoders.map((e) => EncoderSchema.parse(typeof e === "string" ? { name: e } : e));
  const labels = encoders.map((e) => e.label ?? e.name);
  const dup = labels.find((l, i) => labels.indexOf(l) !== i);
  if (dup) throw new InvalidArgumentError(`encoder "${dup}" is given twice: give each setting its own label (NAME@LABEL)`);
  for (const name of Object.keys(s.grid))
    if (!labels.includes(name))
      throw new InvalidArgumentError(`--grid names encoder "${name}", which is not among the encoders (${labels.join(", ")})`);
  const cells: CellSpec[] = [];
  for (const src0 of s.sources) {
    const src = typeof src0 === "string" ? { path: src0 } : src0;
    let identity: string;
    try {
      identity = fileIdentity(src.path);
    } catch {
      identity = "unreadable";
    }
    const source = { ...src, path: resolve(src.path), identity };
    for (const enc of encoders) {
      const info = corpusEncoder(enc.name); // throws for an unknown encoder
      const label = enc.label ?? enc.name;
      const values = s.grid[label] ?? s.cq;
      if (values.length === 0) throw new InvalidArgumentError(`no quality values for encoder "${label}": give --cq or --grid ${label}=v1,v2,...`);
      for (const value of values) {
        info.checkValue(value);
        const key = { v: AV1GYM_VERSION, src: source, enc, value, frames: s.frames ?? null, metrics: s.metrics };
        const id = createHash("sha256").update(canonicalJson(key)).digest("hex").slice(0, 16);
        cells.push({ id, source, encoder: enc, value, frames: s.frames, metrics: s.metrics });
      }
    }
  }
  return cells;
}

/** JSON with object keys sorted at every level, so equal specs hash equally whatever their key order. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(",")}}`;
}
