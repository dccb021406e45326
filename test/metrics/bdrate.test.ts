import { describe, expect, test } from "bun:test";
import { bdMetric, bdRate, BdRateError, type RdPoint } from "../../src/index";

const pts = (a: number[][]): RdPoint[] => a.map(([rate, quality]) => ({ rate: rate!, quality: quality! }));

describe("bdRate: published vectors", () => {
  // Netflix/vmaf, python/test/calculate_bd_rate_test.py (CalculateBdRateJCTVCTest) and the older
  // bd_rate_calculator_test.py (BDrateCalculatorJCTVCTest): JCT-VC rate/PSNR points with the BD-rate of the
  // JCTVC-E137 / common-test-conditions PCHIP spreadsheet, as a fraction (-0.00465... = -0.465 %), checked
  // there to 4 places of the fraction. Our exact integral matches to far more.
  test("JCT-VC vector 1: -0.465215 %", () => {
    const anchor = pts([[108048.8736, 43.6471], [61279.976, 40.3953], [33905.6656, 37.247], [18883.6928, 34.2911]]);
    const t = pts([[108061.2784, 43.6768], [61299.9936, 40.4232], [33928.7472, 37.2761], [18910.912, 34.3147]]);
    expect(bdRate(anchor, t)).toBeCloseTo(-0.00465215420752807 * 100, 8);
  });
  test("JCT-VC vector 2: -1.877982 %", () => {
    const anchor = pts([[40433.8848, 37.5761], [7622.7456, 35.3756], [2394.488, 33.8977], [1017.6184, 32.0603]]);
    const t = pts([[40370.12, 37.5982], [7587.0024, 35.4025], [2390.0944, 33.9194], [1017.0984, 32.0822]]);
    expect(bdRate(anchor, t)).toBeCloseTo(-0.018779823450567612 * 100, 8);
  });
});

describe("bdRate / bdMetric: exact cases", () => {
  const anchor = pts([[9487.76, 40.037], [4593.6, 38.615], [2486.44, 36.845], [1358.24, 34.851]]);
  test("identical curves give 0", () => {
    for (const interpolation of ["pchip", "cubic"] as const) {
      expect(bdRate(anchor, anchor, { interpolation })).toBe(0);
      expect(bdMetric(anchor, anchor, { interpolation })).toBe(0);
    }
  });
  test("every rate x1.1 is +10 % BD-rate; every quality +0.5 is +0.5 BD-metric (either interpolation)", () => {
    const more = anchor.map((p) => ({ rate: p.rate * 1.1, quality: p.quality }));
    const better = anchor.map((p) => ({ rate: p.rate, quality: p.quality + 0.5 }));
    for (const interpolation of ["pchip", "cubic"] as const) {
      expect(bdRate(anchor, more, { interpolation })).toBeCloseTo(10, 9);
      expect(bdRate(more, anchor, { interpolation })).toBeCloseTo((1 / 1.1 - 1) * 100, 9);
      expect(bdMetric(anchor, better, { interpolation })).toBeCloseTo(0.5, 9);
    }
  });
  test("point order does not matter", () => {
    const t = pts([[9787.8, 40.121], [4469.0, 38.651], [2451.52, 36.97], [1356.24, 34.987]]);
    expect(bdRate([...anchor].reverse(), t)).toBe(bdRate(anchor, [...t].reverse()));
  });
});

// scipy's PchipInterpolator (the same Fritsch-Carlson slopes and end rule) and numpy's polyfit as an
// independent implementation, on random monotone curves. Skipped where python3 has no scipy.
const havePy = (() => {
  try {
    return Bun.spawnSync(["python3", "-c", "import scipy.interpolate, numpy"]).exitCode === 0;
  } catch {
    return false;
  }
})();
describe.skipIf(!havePy)("bdRate / bdMetric against scipy (PchipInterpolator.integrate, numpy.polyfit)", () => {
  test("20 random curve pairs of 4-6 points", () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const curve = (n: number) => {
      let r = 200 + rnd() * 300, q = 30 + rnd() * 4;
      return Array.from({ length: n }, () => ({ rate: (r *= 1.3 + rnd()), quality: (q += 0.5 + rnd() * 3) }));
    };
    const cases = Array.from({ length: 20 }, (_, i) => [curve(4 + (i % 3)), curve(4 + ((i + 1) % 3))]);
    const py = `
import json, sys, numpy as np
from scipy.interpolate import PchipInterpolator
def bd(a, t, rate, cubic):
    la, lt = np.log([p["rate"] for p in a]), np.log([p["rate"] for p in t])
    qa, qt = np.array([p["quality"] for p in a]), np.array([p["quality"] for p in t])
    xa, ya, xt, yt = (qa, la, qt, lt) if rate else (la, qa, lt, qt)
    lo, hi = max(xa.min(), xt.min()), min(xa.max(), xt.max())
    def integ(x, y):
        i = np.argsort(x)
        if cubic:
            p = np.polyint(np.polyfit(x, y, 3)); return np.polyval(p, hi) - np.polyval(p, lo)
        return PchipInterpolator(x[i], y[i]).integrate(lo, hi)
    d = (integ(xt, yt) - integ(xa, ya)) / (hi - lo)
    return (np.exp(d) - 1) * 100 if rate else d
out = [[bd(a, t, r, c) for r in (True, False) for c in (False, True)] for a, t in json.load(sys.stdin)]
print(json.dumps(out))`;
    const r = Bun.spawnSync(["python3", "-c", py], { stdin: Buffer.from(JSON.stringify(cases)) });
    expect(r.exitCode).toBe(0);
    const want = JSON.parse(r.stdout.toString()) as number[][];
    cases.forEach(([a, t], i) => {
      const got = [
        bdRate(a!, t!, { minOverlap: 0 }),
        bdRate(a!, t!, { interpolation: "cubic", minOverlap: 0 }),
        bdMetric(a!, t!, { minOverlap: 0 }),
        bdMetric(a!, t!, { interpolation: "cubic", minOverlap: 0 }),
      ];
      got.forEach((g, k) => expect(g).toBeCloseTo(want[i]![k]!, 6));
    });
  });
});

describe("bdRate: typed errors", () => {
  const good = pts([[100, 30], [200, 33], [400, 36], [800, 39]]);
  const reason = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(BdRateError);
      return (e as BdRateError).reason;
    }
    throw new Error("no error thrown");
  };
  test("fewer than 4 points", () => {
    expect(reason(() => bdRate(good.slice(0, 3), good))).toBe("too-few-points");
    expect(reason(() => bdMetric(good, []))).toBe("too-few-points");
  });
  test("a curve whose quality falls as the rate rises, or with a repeated rate", () => {
    expect(reason(() => bdRate(pts([[100, 30], [200, 35], [400, 34], [800, 39]]), good))).toBe("non-monotonic");
    expect(reason(() => bdRate(pts([[100, 30], [100, 31], [400, 34], [800, 39]]), good))).toBe("non-monotonic");
  });
  test("curves that do not overlap, or overlap on less than minOverlap", () => {
    const far = good.map((p) => ({ rate: p.rate, quality: p.quality + 20 }));
    expect(reason(() => bdRate(good, far))).toBe("too-little-overlap");
    const barely = good.map((p) => ({ rate: p.rate, quality: p.quality + 8.5 })); // overlap 0.5 of 9 dB
    expect(reason(() => bdRate(good, barely))).toBe("too-little-overlap");
    expect(Number.isFinite(bdRate(good, barely, { minOverlap: 0.05 }))).toBe(true);
  });
  test("zero, negative or non-finite values", () => {
    expect(reason(() => bdRate(pts([[0, 30], [200, 33], [400, 36], [800, 39]]), good))).toBe("invalid-point");
    expect(reason(() => bdRate(pts([[100, NaN], [200, 33], [400, 36], [800, 39]]), good))).toBe("invalid-point");
  });
});
