/**
 * Small line charts as inline SVG strings (no scripts, no network): used by the corpus report. X may be
 * logarithmic (bitrate); ticks are 1-2-5 per decade on a log axis and "nice" steps on a linear one.
 */
export interface Series {
  name: string;
  color: string;
  points: { x: number; y: number; label?: string }[];
  /** data-* attributes for the series group (e.g. { encoder: "av1" }), for tests and styling. */
  data?: Record<string, string>;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  xLog?: boolean;
  width?: number;
  height?: number;
  /** Draw point markers (RD curves) or not (per-frame traces). */
  markers?: boolean;
  data?: Record<string, string>;
}

export const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];

export const esc = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const attrs = (d: Record<string, string> = {}) => Object.entries(d).map(([k, v]) => ` data-${k}="${esc(v)}"`).join("");

function niceStep(span: number, target: number): number {
  const raw = span / Math.max(target, 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const n = raw / mag;
  return (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * mag;
}

function linearTicks(lo: number, hi: number): number[] {
  const step = niceStep(hi - lo || 1, 5);
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let d = Math.floor(Math.log10(lo)); d <= Math.ceil(Math.log10(hi)); d++)
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** d;
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
    }
  return out.length >= 2 ? out : [lo, hi];
}

const fmt = (v: number) => (Math.abs(v) >= 1000 ? v.toFixed(0) : Number(v.toPrecision(3)).toString());

export function lineChart(series: Series[], o: ChartOptions): string {
  const W = o.width ?? 520, H = o.height ?? 320;
  const m = { l: 56, r: 12, t: 40, b: 44 };
  const pts = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!o.xLog || p.x > 0));
  if (pts.length === 0) return `<svg class="chart empty" width="${W}" height="40"${attrs(o.data)}><text x="4" y="24">${esc(o.title)}: no data</text></svg>`;
  let [x0, x1] = [Math.min(...pts.map((p) => p.x)), Math.max(...pts.map((p) => p.x))];
  let [y0, y1] = [Math.min(...pts.map((p) => p.y)), Math.max(...pts.map((p) => p.y))];
  if (o.xLog) {
    if (x1 / x0 < 1.5) [x0, x1] = [x0 / 1.25, x1 * 1.25];
  } else if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  if (y1 === y0) [y0, y1] = [y0 - 1, y1 + 1];
  const pad = (y1 - y0) * 0.05;
  [y0, y1] = [y0 - pad, y1 + pad];
  const tx = (x: number) => m.l + ((o.xLog ? Math.log(x / x0) / Math.log(x1 / x0) : (x - x0) / (x1 - x0)) * (W - m.l - m.r));
  const ty = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const xt = o.xLog ? logTicks(x0, x1) : linearTicks(x0, x1);
  const yt = linearTicks(y0, y1);
  const parts: string[] = [];
  parts.push(`<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}"${attrs(o.data)}>`);
  parts.push(`<text class="title" x="${m.l}" y="16">${esc(o.title)}</text>`);
  for (const v of xt)
    parts.push(`<line class="grid" x1="${tx(v).toFixed(1)}" x2="${tx(v).toFixed(1)}" y1="${m.t}" y2="${H - m.b}"/><text class="tick" x="${tx(v).toFixed(1)}" y="${H - m.b + 14}" text-anchor="middle">${fmt(v)}</text>`);
  for (const v of yt)
    parts.push(`<line class="grid" x1="${m.l}" x2="${W - m.r}" y1="${ty(v).toFixed(1)}" y2="${ty(v).toFixed(1)}"/><text class="tick" x="${m.l - 4}" y="${(ty(v) + 4).toFixed(1)}" text-anchor="end">${fmt(v)}</text>`);
  parts.push(`<rect class="frame" x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none"/>`);
  parts.push(`<text class="axis" x="${(m.l + W - m.r) / 2}" y="${H - 6}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(`<text class="axis" transform="translate(12 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`);
  // Legend: one row under the title, above the plot, so it never hides a curve.
  let lx = m.l;
  const legendX = series.map((s) => {
    const x = lx;
    lx += 14 + 7 * s.name.length + 12;
    return x;
  });
  series.forEach((s, k) => {
    const ps = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!o.xLog || p.x > 0));
    const d = ps.map((p, i) => `${i ? "L" : "M"}${tx(p.x).toFixed(1)} ${ty(p.y).toFixed(1)}`).join("");
    parts.push(`<g class="series"${attrs({ name: s.name, ...s.data })}><path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"/>`);
    if (o.markers)
      for (const p of ps)
        parts.push(`<circle cx="${tx(p.x).toFixed(1)}" cy="${ty(p.y).toFixed(1)}" r="3" fill="${s.color}"><title>${esc(`${s.name}${p.label ? ` ${p.label}` : ""}: ${fmt(p.x)}, ${fmt(p.y)}`)}</title></circle>`);
    parts.push(`<rect x="${legendX[k]}" y="24" width="10" height="10" fill="${s.color}"/><text class="legend" x="${legendX[k]! + 14}" y="33">${esc(s.name)}</text></g>`);
  });
  parts.push("</svg>");
  return parts.join("");
}
