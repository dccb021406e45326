import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { planCells } from "../../src/corpus/grid";
import { InvalidArgumentError } from "../../src/core/errors";
import { rawSource, writeRawSource } from "./fixtures";

const dir = mkdtempSync(join(tmpdir(), "av1gym-grid-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const src = writeRawSource(dir, "a.yuv", 3, 1);

describe("planCells", () => {
  test("sources × encoders × values; ids stable and specific to what decides the rows", () => {
    const spec = { sources: [rawSource(src)], encoders: [{ name: "av1", label: "fast", options: { preset: 12 } }, "av1"], cq: [30, 40], grid: { av1: [20, 30, 40, 50] } };
    const cells = planCells(spec);
    expect(cells.map((c) => [c.encoder.label ?? c.encoder.name, c.value])).toEqual([
      ["fast", 30], ["fast", 40], ["av1", 20], ["av1", 30], ["av1", 40], ["av1", 50],
    ]);
    expect(new Set(cells.map((c) => c.id)).size).toBe(6);
    // same spec, keys in another order: same ids
    const again = planCells({ grid: { av1: [20, 30, 40, 50] }, cq: [30, 40], encoders: [{ options: { preset: 12 }, label: "fast", name: "av1" }, "av1"], sources: [rawSource(src)] });
    expect(again.map((c) => c.id)).toEqual(cells.map((c) => c.id));
    // another setting, frame limit or metric: other ids
    const preset = planCells({ ...spec, encoders: [{ name: "av1", label: "fast", options: { preset: 11 } }, "av1"] });
    expect(preset[0]!.id).not.toBe(cells[0]!.id);
    expect(preset[2]!.id).toBe(cells[2]!.id);
    expect(planCells({ ...spec, frames: 2 })[0]!.id).not.toBe(cells[0]!.id);
    expect(planCells({ ...spec, metrics: { psnr: true } })[0]!.id).not.toBe(cells[0]!.id);
  });

  test("the same path with other content is another cell (content identity, not the path)", () => {
    const p = writeRawSource(dir, "b.yuv", 3, 1);
    const before = planCells({ sources: [rawSource(p)], encoders: ["av1"], cq: [30] })[0]!.id;
    writeRawSource(dir, "b.yuv", 3, 2);
    const after = planCells({ sources: [rawSource(p)], encoders: ["av1"], cq: [30] })[0]!.id;
    expect(after).not.toBe(before);
  });

  test("bad grids are refused before anything runs, naming what is wrong", () => {
    const base = { sources: [rawSource(src)], cq: [30] };
    expect(() => planCells({ ...base, encoders: ["x999"] })).toThrow(/unknown corpus encoder "x999" \(known: av1/);
    expect(() => planCells({ ...base, encoders: ["av1"], cq: [70] })).toThrow(/crf 70 is out of range/);
    expect(() => planCells({ ...base, encoders: ["av1"], cq: [30.5] })).toThrow(InvalidArgumentError);
    expect(() => planCells({ ...base, encoders: ["av1"], grid: { x264: [1, 2] } })).toThrow(/--grid names encoder "x264"/);
    expect(() => planCells({ ...base, encoders: ["av1", "av1"] })).toThrow(/given twice/);
    expect(() => planCells({ sources: [rawSource(src)], encoders: ["av1"] })).toThrow(/no quality values/);
    expect(() => planCells({ ...base, encoders: [] })).toThrow(/at least one encoder/);
  });

  test("an unreadable source still gets its cells (they become error rows)", () => {
    writeFileSync(join(dir, "x.txt"), "");
    const cells = planCells({ sources: [join(dir, "missing.mp4")], encoders: ["av1"], cq: [30] });
    expect(cells.length).toBe(1);
    expect(cells[0]!.source.identity).toBe("unreadable");
  });
});
