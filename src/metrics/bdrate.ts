/**
 * Bjøntegaard delta rate and delta quality between two rate-distortion curves.
 *
 * Each curve is interpolated over log-rate (BD-rate: log-rate as a function of quality; BD-metric: quality as
 * a function of log-rate), the interpolants are integrated exactly over the range both curves cover, and the
 * mean difference is reported. PCHIP (the JCT-VC / JVET common-test-conditions spreadsheet's piecewise cubic
 * Hermite interpolation, Fritsch-Carlson slopes with the shape-preserving end rule) is the default; `cubic`
 * is VCEG-M33's least-squares third-order polynomial. Negative BD-rate = the test curve needs fewer bits for
 * the same quality; positive BD-metric = the test curve has more quality at the same rate.
 */
import { BdRateError } from "../core/errors";

export interface RdPoint {
  /** Any rate unit (bytes, kbit/s, bits per pixel): only ratios matter. Must be > 0. */
  rate: number;
  /** PSNR in dB, SSIM, VMAF...: higher is better. */
  quality: number;
}

export type BdInterpolation = "pchip" | "cubic";

export interface BdOptions {
  /** Interpolation of each curve (default "pchip"). */
  interpolation?: BdInterpolation;
  /**
   * The overlap of the two curves' ranges (quality for bdRate, log-rate for bdMetric) must be at least this
   * fraction of the narrower curve's range (default 0.1); less throws BdRateError("too-little-overlap").
   */
  minOverlap?: number;
}

/** Minimum points per curve: a cubic through fewer is not determined. */
export const BD_MIN_POINTS = 4;

/** BD-rate in percent: the mean rate difference of `test` against `anchor` at equal quality. */
export function bdRate(anchor: readonly RdPoint[], test: readonly RdPoint[], options: BdOptions = {}): number {
  const a = prepare(anchor, "anchor");
  const t = prepare(test, "test");
  const mean = meanDifference(
    { x: a.quality, y: a.logRate },
    { x: t.quality, y: t.logRate },
    options,
    "quality",
  );
  return (Math.exp(mean) - 1) * 100;
}

/** BD-metric (BD-PSNR for PSNR): the mean quality difference of `test` against `anchor` at equal rate. */
export function bdMetric(anchor: readonly RdPoint[], test: readonly RdPoint[], options: BdOptions = {}): number {
  const a = prepare(anchor, "anchor");
  const t = prepare(test, "test");
  return meanDifference({ x: a.logRate, y: a.quality }, { x: t.logRate, y: t.quality }, options, "log-rate");
}

interface Curve {
  x: Float64Array;
  y: Float64Array;
}

/** Validates a curve and returns it sorted by rate, as log-rate and quality arrays. */
function prepare(points: readonly RdPoint[], which: string): { logRate: Float64Array; quality: Float64Array } {
  if (!Array.isArray(points)) throw new BdRateError("invalid-point", `the ${which} curve must be an array of { rate, quality }`);
  if (points.length < BD_MIN_POINTS)
    throw new BdRateError("too-few-points", `the ${which} curve has ${points.length} points; BD needs at least ${BD_MIN_POINTS}`);
  points.forEach((p, i) => {
    if (!p || typeof p.rate !== "number" || typeof p.quality !== "number" || !Number.isFinite(p.rate) || !Number.isFinite(p.quality))
      throw new BdRateError("invalid-point", `${which}[${i}] must have a finite rate and quality, got ${JSON.stringify(p)}`);
    if (p.rate <= 0) throw new BdRateError("invalid-point", `${which}[${i}].rate is ${p.rate}; rates must be > 0 (log-rate)`);
  });
  const sorted = [...points].sort((p, q) => p.rate - q.rate);
  for (let i = 1; i < sorted.length; i++)
    if (!(sorted[i]!.rate > sorted[i - 1]!.rate) || !(sorted[i]!.quality > sorted[i - 1]!.quality))
      throw new BdRateError(
        "non-monotonic",
        `the ${which} curve is not strictly monotonic: rate ${sorted[i - 1]!.rate} -> quality ${sorted[i - 1]!.quality}, ` +
          `rate ${sorted[i]!.rate} -> quality ${sorted[i]!.quality} (more rate must give more quality)`,
      );
  return { logRate: Float64Array.from(sorted, (p) => Math.log(p.rate)), quality: Float64Array.from(sorted, (p) => p.quality) };
}

function meanDifference(anchor: Curve, test: Curve, options: BdOptions, axis: string): number {
  const interpolation = options.interpolation ?? "pchip";
  if (interpolation !== "pchip" && interpolation !== "cubic")
    throw new BdRateError("invalid-point", `interpolation must be "pchip" or "cubic", got ${String(interpolation)}`);
  const minOverlap = options.minOverlap ?? 0.1;
  if (!(minOverlap >= 0 && minOverlap <= 1)) throw new BdRateError("invalid-point", `minOverlap must be in 0..1, got ${minOverlap}`);
  const lo = Math.max(anchor.x[0]!, test.x[0]!);
  const hi = Math.min(anchor.x[anchor.x.length - 1]!, test.x[test.x.length - 1]!);
  const narrower = Math.min(anchor.x[anchor.x.length - 1]! - anchor.x[0]!, test.x[test.x.length - 1]! - test.x[0]!);
  if (!(hi > lo) || hi - lo < minOverlap * narrower)
    throw new BdRateError(
      "too-little-overlap",
      `the curves overlap on ${Math.max(0, hi - lo).toPrecision(4)} of ${axis} (${lo.toPrecision(6)}..${hi.toPrecision(6)}); ` +
        `at least ${(minOverlap * 100).toFixed(0)}% of the narrower curve's ${narrower.toPrecision(4)} is needed`,
    );
  const integral = interpolation === "pchip" ? pchipIntegral : cubicIntegral;
  return (integral(test, lo, hi) - integral(anchor, lo, hi)) / (hi - lo);
}

// ---- PCHIP ----

/** Slopes of the shape-preserving piecewise cubic Hermite interpolant (Fritsch-Carlson, as Matlab's pchip). */
export function pchipSlopes(x: Float64Array, y: Float64Array): Float64Array {
  const n = x.length;
  const h = new Float64Array(n - 1);
  const delta = new Float64Array(n - 1);
  for (let k = 0; k < n - 1; k++) {
    h[k] = x[k + 1]! - x[k]!;
    delta[k] = (y[k + 1]! - y[k]!) / h[k]!;
  }
  const d = new Float64Array(n);
  if (n === 2) {
    d[0] = d[1] = delta[0]!;
    return d;
  }
  for (let k = 1; k < n - 1; k++) {
    const d0 = delta[k - 1]!, d1 = delta[k]!;
    if (d0 * d1 <= 0) continue; // a local extremum or flat: slope 0 keeps the curve monotone
    const w1 = 2 * h[k]! + h[k - 1]!, w2 = h[k]! + 2 * h[k - 1]!;
    d[k] = (w1 + w2) / (w1 / d0 + w2 / d1);
  }
  d[0] = pchipEnd(h[0]!, h[1]!, delta[0]!, delta[1]!);
  d[n - 1] = pchipEnd(h[n - 2]!, h[n - 3]!, delta[n - 2]!, delta[n - 3]!);
  return d;
}

/** One-sided three-point end slope, kept shape-preserving. */
function pchipEnd(h1: number, h2: number, del1: number, del2: number): number {
  let d = ((2 * h1 + h2) * del1 - h1 * del2) / (h1 + h2);
  if (Math.sign(d) !== Math.sign(del1)) d = 0;
  else if (Math.sign(del1) !== Math.sign(del2) && Math.abs(d) > Math.abs(3 * del1)) d = 3 * del1;
  return d;
}

/** Exact integral of the PCHIP interpolant of (x, y) from lo to hi (both inside [x0, xn]). */
function pchipIntegral(c: Curve, lo: number, hi: number): number {
  const { x, y } = c;
  const d = pchipSlopes(x, y);
  let sum = 0;
  for (let k = 0; k < x.length - 1; k++) {
    const a = Math.max(lo, x[k]!), b = Math.min(hi, x[k + 1]!);
    if (b <= a) continue;
    const h = x[k + 1]! - x[k]!;
    const delta = (y[k + 1]! - y[k]!) / h;
    // p(t) = y_k + d_k t + c2 t^2 + c3 t^3, t = x - x_k
    const c2 = (3 * delta - 2 * d[k]! - d[k + 1]!) / h;
    const c3 = (d[k]! + d[k + 1]! - 2 * delta) / (h * h);
    const P = (t: number) => t * (y[k]! + t * (d[k]! / 2 + t * (c2 / 3 + (t * c3) / 4)));
    sum += P(b - x[k]!) - P(a - x[k]!);
  }
  return sum;
}

// ---- cubic (VCEG-M33) ----

/** Exact integral from lo to hi of the least-squares cubic through (x, y); x is centred and scaled first so the
 * normal equations stay well conditioned. */
function cubicIntegral(c: Curve, lo: number, hi: number): number {
  const n = c.x.length;
  let mean = 0;
  for (const v of c.x) mean += v;
  mean /= n;
  let scale = 0;
  for (const v of c.x) scale = Math.max(scale, Math.abs(v - mean));
  scale ||= 1;
  const u = Float64Array.from(c.x, (v) => (v - mean) / scale);
  // Normal equations A^T A p = A^T y for p0 + p1 u + p2 u^2 + p3 u^3.
  const M = Array.from({ length: 4 }, () => new Float64Array(5));
  for (let i = 0; i < n; i++) {
    const pw = [1, u[i]!, u[i]! ** 2, u[i]! ** 3];
    for (let r = 0; r < 4; r++) {
      for (let s = 0; s < 4; s++) M[r]![s]! += pw[r]! * pw[s]!;
      M[r]![4]! += pw[r]! * c.y[i]!;
    }
  }
  const p = solve4(M);
  const F = (v: number) => {
    const t = (v - mean) / scale;
    return scale * t * (p[0]! + t * (p[1]! / 2 + t * (p[2]! / 3 + (t * p[3]!) / 4)));
  };
  return F(hi) - F(lo);
}

/** Gaussian elimination with partial pivoting on a 4x5 augmented matrix. */
function solve4(M: Float64Array[]): Float64Array {
  for (let col = 0; col < 4; col++) {
    let piv = col;
    for (let r = col + 1; r < 4; r++) if (Math.abs(M[r]![col]!) > Math.abs(M[piv]![col]!)) piv = r;
    [M[col], M[piv]] = [M[piv]!, M[col]!];
    const m = M[col]!;
    if (Math.abs(m[col]!) < 1e-300) throw new BdRateError("non-monotonic", "the cubic fit is singular (repeated points)");
    for (let r = 0; r < 4; r++) {
      if (r === col) continue;
      const f = M[r]![col]! / m[col]!;
      for (let s = col; s < 5; s++) M[r]![s]! -= f * m[s]!;
    }
  }
  return Float64Array.from(M, (row, i) => row[4]! / row[i]!);
}
