/**
 * The corpus report: one self-contained HTML file (inline CSS and SVG, no script, no network) with the
 * BD-rate tables, RD curves per source (bitrate on a log axis against VMAF and PSNR-Y) and the per-frame
 * VMAF of every cell. Elements carry data-* attributes (source, encoder, metric, BD-rate) so that tests and
 * other tools can read the numbers back from the page.
 */
import { basename } from "node:path";
import { bdRateTable, cellQuality, rdCurves, type BdTable } from "./bdrate_table";
import { esc, lineChart, PALETTE } from "./svg_chart";
import type { CellRow, ErrorRow, FrameRow, Row } from "./schema";

export interface ReportOptions {
  /** The encoder the BD-rates are measured against (default: libx264 when present, else the first by name). */
  anchor?: string;
  title?: string;
}

const METRICS: { key: string; label: string }[] = [
  { key: "vmaf", label: "VMAF" },
  { key: "psnr_y", label: "PSNR-Y (dB)" },
];

function bdSection(t: BdTable): string {
  const cls = (v: number) => (v < 0 ? "better" : v > 0 ? "worse" : "");
  const td = (src: string, enc: string, v: number | { error: string } | null | undefined) =>
    typeof v === "number"
      ? `<td class="num ${cls(v)}" data-source="${esc(src)}" data-encoder="${esc(enc)}" data-bdrate="${v}">${v >= 0 ? "+" : ""}${v.toFixed(2)} %</td>`
      : `<td class="num na" data-source="${esc(src)}" data-encoder="${esc(enc)}" title="${esc(v && typeof v === "object" ? v.error : "no value")}">—</td>`;
  const rows = t.sources.map((s) => `<tr><th>${esc(basename(s))}</th>${t.encoders.map((e) => td(s, e, t.perSource[s]![e])).join("")}</tr>`);
  rows.push(`<tr class="avg"><th>average</th>${t.encoders.map((e) => td("average", e, t.average[e])).join("")}</tr>`);
  return `<table class="bdrate" data-metric="${esc(t.metric)}" data-anchor="${esc(t.anchor)}">
<caption>BD-rate against ${esc(t.anchor)}, ${esc(t.metric)} (negative = fewer bits for the same quality)</caption>
<tr><th>source</th>${t.encoders.map((e) => `<th>${esc(e)}</th>`).join("")}</tr>
${rows.join("\n")}
</table>`;
}

export function renderReport(rows: Row[], options: ReportOptions = {}): string {
  const cells = rows.filter((r): r is CellRow => r.type === "cell");
  const errors = rows.filter((r): r is ErrorRow => r.type === "error");
  const frames = rows.filter((r): r is FrameRow => r.type === "frame");
  const encoders = [...new Set(cells.map((c) => c.encoder))].sort();
  const sources = [...new Set(cells.map((c) => c.src))].sort();
  const color = (enc: string) => PALETTE[encoders.indexOf(enc) % PALETTE.length]!;
  const anchor = options.anchor ?? (encoders.includes("libx264") ? "libx264" : encoders[0]);

  const tables: string[] = [];
  if (anchor && encoders.length > 1)
    for (const m of METRICS) {
      if (!cells.some((c) => cellQuality(c, m.key) !== undefined)) continue;
      tables.push(bdSection(bdRateTable(rows, { anchor, metric: m.key })));
    }

  const sections = sources.map((src) => {
    const charts = METRICS.map((m) => {
      const curves = rdCurves(rows, m.key).get(src);
      if (!curves) return "";
      return lineChart(
        [...curves.entries()].map(([enc, pts]) => ({
          name: enc, color: color(enc), data: { encoder: enc },
          points: pts.map((p) => ({ x: p.rate, y: p.quality, label: `cq ${p.cq}` })),
        })),
        { title: `${m.label} vs bitrate`, xLabel: "bitrate (kbit/s, log)", yLabel: m.label, xLog: true, markers: true, data: { kind: "rd", metric: m.key, source: src } },
      );
    });
    const perFrame = encoders
      .filter((enc) => cells.some((c) => c.src === src && c.encoder === enc))
      .map((enc) => {
        const mine = cells.filter((c) => c.src === src && c.encoder === enc).sort((a, b) => a.cq - b.cq);
        return lineChart(
          mine.map((c, k) => ({
            name: `cq ${c.cq}`, color: PALETTE[k % PALETTE.length]!, data: { cell: c.cell },
            points: frames.filter((f) => f.cell === c.cell).map((f) => ({ x: f.frame_index, y: f.vmaf })),
          })),
          { title: `${enc}: VMAF per frame`, xLabel: "frame", yLabel: "VMAF", width: 420, height: 240, data: { kind: "frames", encoder: enc, source: src } },
        );
      });
    const table = cells
      .filter((c) => c.src === src)
      .sort((a, b) => a.encoder.localeCompare(b.encoder) || a.cq - b.cq)
      .map((c) => `<tr><td>${esc(c.encoder)}</td><td class="num">${c.cq}</td><td class="num">${c.bitrate_kbps.toFixed(1)}</td><td class="num">${(cellQuality(c, "vmaf") ?? NaN).toFixed(2)}</td><td class="num">${cellQuality(c, "psnr_y")?.toFixed(2) ?? "—"}</td><td class="num">${c.encode_fps.toFixed(1)}</td></tr>`)
      .join("\n");
    return `<section class="source" data-source="${esc(src)}">
<h2>${esc(basename(src))}</h2>
<div class="charts">${charts.join("")}</div>
<div class="charts">${perFrame.join("")}</div>
<table class="cells"><tr><th>encoder</th><th>cq</th><th>kbit/s</th><th>VMAF</th><th>PSNR-Y</th><th>encode fps</th></tr>
${table}
</table>
</section>`;
  });

  const errorList = errors.length
    ? `<section class="errors"><h2>Failed cells (${errors.length})</h2><ul>${errors
        .map((e) => `<li><code>${esc(basename(e.src))}</code> ${esc(e.encoder)} cq ${e.cq}: ${esc(e.error.message)}</li>`)
        .join("")}</ul></section>`
    : "";
  const title = options.title ?? "av1gym corpus report";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
.charts{display:flex;flex-wrap:wrap;gap:12px}
.chart{background:#fff;border:1px solid #ddd}
.chart .grid{stroke:#eee}.chart .frame{stroke:#999}.chart .tick{font-size:10px;fill:#555}
.chart .axis{font-size:11px;fill:#333}.chart .title{font-size:12px;font-weight:600}.chart .legend{font-size:11px}
table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ddd;padding:3px 8px}
.num{text-align:right;font-variant-numeric:tabular-nums}.better{color:#1a7f37}.worse{color:#b42318}
caption{text-align:left;font-weight:600;padding:4px 0}.avg th,.avg td{font-weight:600}
</style></head>
<body>
<h1>${esc(title)}</h1>
<p class="summary">${cells.length} cells (${errors.length} failed) · ${sources.length} source(s) · encoders: ${encoders.map(esc).join(", ")}</p>
${tables.join("\n")}
${sections.join("\n")}
${errorList}
</body></html>
`;
}
