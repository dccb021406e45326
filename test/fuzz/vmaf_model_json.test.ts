// The VMAF model loader's JSON/libsvm side (src/metrics/vmaf_model.ts), fuzzed by structured mutation; its
// native side has a libFuzzer harness (test/fuzz/fuzz_vmaf_model.c). Every mutated model either loads and
// scores finite features as a finite number, or is refused with a FormatError; never NaN, never a crash.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { VmafModel } from "../../src/metrics/vmaf_model";
import { FormatError } from "../../src/core/errors";
import { describeExit, runIsolated } from "../helpers/isolated";

const MODEL = join(import.meta.dir, "..", "..", "models", "vmaf_v0.6.1.json");
const FEATURES = { adm2: 0.93, motion2: 3.2, vif_scale0: 0.5, vif_scale1: 0.8, vif_scale2: 0.88, vif_scale3: 0.91 };

describe("VMAF model score_transform and score_clip", () => {
  const base = () => JSON.parse(readFileSync(MODEL, "utf8"));
  const withTransform = (st: unknown) => {
    const j = base();
    j.model_dict.score_transform = st;
    return j;
  };
  for (const [what, st] of [
    ["p1 a string", { enabled: true, p0: 1, p1: "abc", p2: 0 }],
    ["p2 null", { enabled: true, p2: null }],
    ["enabled 'yes'", { enabled: "yes", p1: 1 }],
    ["out_gte_in 1", { enabled: true, out_gte_in: 1 }],
    ["not an object", "on"],
  ] as const) {
    test(`a malformed score_transform (${what}) is a FormatError, not NaN scores`, () => {
      expect(() => VmafModel.fromJson(withTransform(st))).toThrow(FormatError);
    });
  }
  test("a valid one applies (and a disabled one with junk is ignored)", () => {
    using plain = VmafModel.fromJson(base());
    using t = VmafModel.fromJson(withTransform({ enabled: true, p0: 1, p1: 1, p2: 0 }));
    expect(t.predict(FEATURES)).toBeCloseTo(plain.predict(FEATURES) + 1, 9);
    using off = VmafModel.fromJson(withTransform({ enabled: false, p1: "junk" }));
    expect(off.predict(FEATURES)).toBe(plain.predict(FEATURES));
  });
  test("score_clip with low > high is a FormatError", () => {
    const j = base();
    j.model_dict.score_clip = [100, 0];
    expect(() => VmafModel.fromJson(j)).toThrow(/score_clip \[100, 0\] is not a range/);
  });
});

test("structured mutations of a real model: load and score a number, or a FormatError (subprocess)", async () => {
  const r = await runIsolated(`
    import { VmafModel } from "SRC/metrics/vmaf_model";
    import { Rng } from "SRC/core/rng";
    const text = await Bun.file(${JSON.stringify(MODEL)}).text();
    const rng = new Rng(10);
    const junk = () => [NaN, Infinity, -1e308, 1e308, 0, -0, "", "1e999", null, true, [], {}, "abc", 1e-320, -7][rng.int(15)];
    const leaves = (o, path = []) => (o && typeof o === "object" ? Object.entries(o).flatMap(([k, v]) => leaves(v, [...path, k])) : [path]);
    const out = { loaded: 0, refused: 0, bad: [] };
    for (let i = 0; i < 400; i++) {
      const j = JSON.parse(text);
      const md = j.model_dict;
      for (let m = 0; m < 1 + rng.int(3); m++) {
        const k = rng.int(4);
        if (k === 0) { const ls = leaves(md).filter((p) => p.length); const p = ls[rng.int(ls.length)]; let o = md; for (const s of p.slice(0, -1)) o = o[s]; o[p.at(-1)] = junk(); }
        else if (k === 1 && typeof md.model === "string") { const lines = md.model.split("\\n"); const at = rng.int(lines.length); lines[at] = lines[at].replace(/[-0-9.e]+/, String(junk())); md.model = lines.join("\\n"); }
        else if (k === 2) md.score_transform = { enabled: true, p0: junk(), p1: junk(), p2: junk(), out_gte_in: junk() };
        else md.score_clip = [junk(), junk()];
      }
      try {
        using model = VmafModel.fromJson(j, "mutant" + i);
        const s = model.predict({ adm2: 0.93, motion2: 3.2, vif_scale0: 0.5, vif_scale1: 0.8, vif_scale2: 0.88, vif_scale3: 0.91 });
        if (Number.isNaN(s)) out.bad.push(i + ": NaN");
        out.loaded++;
      } catch (e) {
        if (e.name === "FormatError" || e.name === "InvalidArgumentError") out.refused++;
        else out.bad.push(i + ": " + e.name + " " + e.message);
      }
    }
    console.log(JSON.stringify(out));`);
  expect(r.exitCode, describeExit(r)).toBe(0);
  expect(r.result.bad).toEqual([]);
  expect(r.result.loaded + r.result.refused).toBe(400);
  expect(r.result.refused).toBeGreaterThan(100);
});
