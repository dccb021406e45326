import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { completeCells, readRows, RowsWriter } from "../../src/corpus/rows_file";
import type { Row } from "../../src/corpus/schema";

const dir = mkdtempSync(join(tmpdir(), "av1gym-rows-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const frame = (cell: string, i: number) => ({
  type: "frame", cell, src: "s", encoder: "e", cq: 1, enc_bytes: 10, enc_time_ms: 1, frame_index: i, vmaf: 90,
  adm2: 1, vif_scale0: 1, vif_scale1: 1, vif_scale2: 1, vif_scale3: 1, motion2: 0, frame_bytes: 5,
});
const summary = (cell: string) => ({ type: "cell", cell, src: "s", encoder: "e", cq: 1, bitrate_kbps: 5, pooled: {} });

describe("rows files", () => {
  test("truncated or hand-edited lines are reported with their line numbers, never a crash", () => {
    const p = join(dir, "bad.jsonl");
    const lines = [
      JSON.stringify(frame("a", 0)), JSON.stringify(summary("a")),
      "this is not json",
      JSON.stringify({ ...frame("b", 0), vmaf: "high" }),
      JSON.stringify(frame("c", 0)),
      JSON.stringify(summary("c")).slice(0, 30),
    ];
    writeFileSync(p, lines.join("\n"));
    const f = readRows(p);
    expect(f.problems).toEqual([
      { line: 3, message: "not valid JSON" },
      { line: 4, message: "frame row without a numeric `vmaf`" },
      { line: 6, message: "truncated last line (not valid JSON)" },
    ]);
    expect([...f.done]).toEqual(["a"]);
    // c has a frame row but no summary: not a complete cell
    expect([...completeCells(f).keys()]).toEqual(["a"]);
    expect(readRows(join(dir, "none.jsonl")).rows).toEqual([]);
  });

  test("a cell lands in one append; after a torn last line the next cell starts on its own line", () => {
    const p = join(dir, "torn.jsonl");
    writeFileSync(p, JSON.stringify(frame("a", 0)) + "\n" + '{"type":"fra');
    const w = new RowsWriter(p);
    w.appendCell([frame("b", 0), summary("b")] as Row[]);
    w.close();
    const f = readRows(p);
    expect([...f.done]).toEqual(["b"]);
    expect(f.problems).toEqual([{ line: 2, message: "not valid JSON" }]);
    expect(readFileSync(p, "utf8").endsWith("\n")).toBe(true);
  });
});
