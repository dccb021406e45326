/**
 * BD-rate of every encoder against an anchor encoder, per source and averaged, from a corpus's cell rows
 * (rate: bitrate in kbit/s; quality: the pooled mean of a metric).
 */
import { Av1GymError, InvalidArgumentError } from "../core/errors";
import { bdRate, BD_MIN_POINTS, type RdPoint } from "../metrics/bdrate";
import type { CellRow, Row } from "./schema";

export interface BdTable {
  metric: string;
  anchor: string;
  sources: string[];
  /** Encoders compared with the anchor (the anchor itself excluded). */
  encoders: string[];
  /** BD-rate in percent per source and encoder, or the reason there is none. */
  perSource: Record<string, Record<string, number | { error: string }>>;
  /** Mean over the sources where it is defined (null where none is). */
  average: Record<string, number | null>;
}

/** The quality of a cell for a metric name: pooled mean under that name or libvmaf's integer_ name. */
export function cellQuality(row: CellRow, metric: string): number | undefined {
  const p = row.pooled[metric] ?? row.pooled[`integer_${metric}`];
  return p && Number.isFinite(p.mean) ? p.mean : undefined;
}

/** The RD curve of each (source, encoder): points sorted by rate. */
export function rdCurves(rows: Row[], metric: string): Map<string, Map<string, (RdPoint & { cq: number })[]>> {
  const curves = new Map<string, Map<string, (RdPoint & { cq: number })[]>>();
  for (const r of rows) {
    if (r.type !== "cell") continue;
    const q = cellQuality(r, metric);
    if (q === undefined) continue;
    let bySrc = curves.get(r.src);
    if (!bySrc) curves.set(r.src, (bySrc = new Map()));
    let pts = bySrc.get(r.encoder);
    if (!pts) bySrc.set(r.encoder, (pts = []));
    pts.push({ rate: r.bitrate_kbps, quality: q, cq: r.cq });
  }
  for (const bySrc of curves.values()) for (const pts of bySrc.values()) pts.sort((a, b) => a.rate - b.rate);
  return curves;
}

export function bdRateTable(rows: Row[], options: { anchor: string; metric?: string }): BdTable {
  const metric = options.metric ?? "vmaf";
  const curves = rdCurves(rows, metric);
  if (curves.size === 0) throw new InvalidArgumentError(`no finished cells with metric "${metric}" in these rows`);
  const encoders = new Set<string>();
  let anchorSeen = false;
  for (const bySrc of curves.values())
    for (const e of bySrc.keys()) e === options.anchor ? (anchorSeen = true) : encoders.add(e);
  if (!anchorSeen) throw new InvalidArgumentError(`anchor encoder "${options.anchor}" has no finished cells (encoders: ${[...encoders].join(", ")})`);
  if (encoders.size === 0) throw new InvalidArgumentError(`only the anchor "${options.anchor}" has finished cells: nothing to compare it with`);
  const table: BdTable = { metric, anchor: options.anchor, sources: [...curves.keys()].sort(), encoders: [...encoders].sort(), perSource: {}, average: {} };
  for (const src of table.sources) {
    const bySrc = curves.get(src)!;
    const anchor = bySrc.get(options.anchor);
    table.perSource[src] = {};
    for (const enc of table.encoders) {
      const test = bySrc.get(enc);
      let v: number | { error: string };
      if (!anchor) v = { error: `no ${options.anchor} curve` };
      else if (!test) v = { error: "no curve" };
      else if (anchor.length < BD_MIN_POINTS || test.length < BD_MIN_POINTS)
        v = { error: `needs ≥ ${BD_MIN_POINTS} points per curve (${options.anchor}: ${anchor.length}, ${enc}: ${test.length})` };
      else {
        try {
          v = bdRate(anchor, test);
        } catch (e) {
          if (!(e instanceof Av1GymError)) throw e;
          v = { error: e.message };
        }
      }
      table.perSource[src]![enc] = v;
    }
  }
  for (const enc of table.encoders) {
    const vals = table.sources.map((s) => table.perSource[s]![enc]).filter((v): v is number => typeof v === "number");
    table.average[enc] = vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : null;
  }
  return table;
}

/** The table as aligned text (percent with two decimals; "—" with a footnote where there is no value). */
export function formatBdTable(t: BdTable): string {
  const notes: string[] = [];
  const cell = (v: number | { error: string } | null | undefined) => {
    if (typeof v === "number") return `${v >= 0 ? "+" : ""}${v.toFixed(2)} %`;
    if (v && typeof v === "object") {
      notes.push(v.error);
      return `— [${notes.length}]`;
    }
    return "—";
  };
  const header = ["source", ...t.encoders];
  const body = t.sources.map((s) => [s.split("/").pop()!, ...t.encoders.map((e) => cell(t.perSource[s]![e]))]);
  body.push(["average", ...t.encoders.map((e) => cell(t.average[e]))]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  const out = [`BD-rate against ${t.anchor} (${t.metric}; negative = fewer bits for the same quality)`, line(header), ...body.map(line)];
  notes.forEach((n, i) => out.push(`[${i + 1}] ${n}`));
  return out.join("\n");
}
