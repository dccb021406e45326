import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { runCorpus } from "../../src/corpus/runner";
import { readRows } from "../../src/corpus/rows_file";
import { FEATURE_COLUMNS, type CellRow, type FrameRow } from "../../src/corpus/schema";
import { scoreFiles } from "../../src/metrics/score_files";
import { FileError } from "../../src/core/errors";
import { planCells } from "../../src/corpus/grid";
import { comparable, rawSource, writeRawSource } from "./fixtures";

const dir = mkdtempSync(join(tmpdir(), "av1gym-corpus-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CLI = resolve(import.meta.dir, "..", "..", "src", "cli", "main.ts");
const srcA = writeRawSource(dir, "a.yuv", 8, 1);
const srcB = writeRawSource(dir, "b.yuv", 8, 7);
const planCellsFor = (encoder: string, cq: number) => planCells({ sources: [rawSource(srcA)], encoders: [encoder], cq: [cq] });
const FRAME_KEYS = ["src", "encoder", "cq", "enc_bytes", "enc_time_ms", "frame_index", "vmaf", ...FEATURE_COLUMNS];

const grid = {
  sources: [rawSource(srcA), rawSource(srcB)],
  encoders: [{ name: "av1", label: "p12", options: { preset: 12 } }, { name: "av1", label: "p13", options: { preset: 13 } }],
  cq: [28, 38, 48, 58],
  metrics: { psnr: true },
};

const cli = (args: string[]) => Bun.spawn(["bun", CLI, "corpus", ...args], { stdout: "pipe", stderr: "pipe" });
const cliArgs = (out: string) => [
  "--source", srcA, "--source", srcB, "--width", "128", "--height", "96", "--encoder", "av1@p12:preset=12",
  "--encoder", "av1@p13:preset=13", "--cq", "28,38,46,58", "--out", out,
];

describe("runCorpus", () => {
  test("every cell: the replaced system's frame rows plus a summary; scores equal scoring the kept encode", async () => {
    const out = join(dir, "rows.jsonl");
    const keep = join(dir, "encodes");
    const r = await runCorpus({ ...grid, out, jobs: 2, keepEncodes: keep });
    expect(r).toMatchObject({ cells: 16, ran: 16, skipped: 0, failed: 0 });
    const f = readRows(out);
    expect(f.problems).toEqual([]);
    const cells = f.rows.filter((x): x is CellRow => x.type === "cell");
    const frames = f.rows.filter((x): x is FrameRow => x.type === "frame");
    expect(cells.length).toBe(16);
    expect(frames.length).toBe(16 * 8);
    for (const k of FRAME_KEYS) for (const fr of frames) expect(fr[k]).toBeDefined();
    for (const c of cells) {
      const mine = frames.filter((x) => x.cell === c.cell);
      expect(mine.map((x) => x.frame_index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      // the frames' bytes add up to the encode; bitrate from the same bytes
      expect(mine.reduce((a, x) => a + x.frame_bytes, 0)).toBe(c.enc_bytes);
      expect(c.bitrate_kbps).toBeCloseTo((c.enc_bytes * 8) / (8 / 25) / 1000, 9);
      expect(mine.every((x) => x.enc_bytes === c.enc_bytes && typeof x.psnr_y === "number")).toBe(true);
    }
    // quality falls as cq rises, for each source and label
    for (const src of [srcA, srcB])
      for (const enc of ["p12", "p13"]) {
        const v = cells.filter((c) => c.src === src && c.encoder === enc).sort((a, b) => a.cq - b.cq).map((c) => c.pooled.vmaf!.mean);
        expect(v).toEqual([...v].sort((a, b) => b - a));
      }
    // the in-process decode + score equals an independent path: the kept IVF read back and scored from files
    const c = cells[5]!;
    const ivf = join(keep, `${c.cell}.ivf`);
    expect(existsSync(ivf)).toBe(true);
    const ref = c.src;
    const s = scoreFiles(ref, ivf, { width: 128, height: 96, pixelFormat: "yuv420p" } as never);
    const mine = frames.filter((x) => x.cell === c.cell);
    expect(s.frames.length).toBe(8);
    s.frames.forEach((fr, i) => {
      expect(mine[i]!.vmaf).toBeCloseTo(fr.vmaf, 9);
      expect(mine[i]!.adm2).toBeCloseTo(fr.metrics.integer_adm2!, 9);
    });

    // a rerun with the same output skips every cell and leaves the file as it was
    const size = statSync(out).size;
    const again = await runCorpus({ ...grid, out, jobs: 2 });
    expect(again).toMatchObject({ cells: 16, ran: 0, skipped: 16 });
    expect(statSync(out).size).toBe(size);
    // --force recomputes, replacing (not duplicating) the rows
    const forced = await runCorpus({ ...grid, out, jobs: 1, force: true });
    expect(forced.ran).toBe(16);
    expect(comparable(readRows(out).rows as never)).toEqual(comparable(f.rows as never));
  }, 300_000);

  test("libavcodec encoders in the same grid: rows per frame, key frames marked, kept encodes decode to the scored frames", async () => {
    const out = join(dir, "lavc.jsonl"), keep = join(dir, "lavc-encodes");
    const r = await runCorpus({
      sources: [rawSource(srcA)], out, keepEncodes: keep,
      encoders: [{ name: "libx264", options: { preset: "veryfast" } }, { name: "libvpx-vp9", options: { preset: 8 } }],
      cq: [20, 30, 40, 50],
    });
    expect(r).toMatchObject({ ran: 8, failed: 0 });
    const f = readRows(out);
    const cells = f.rows.filter((x): x is CellRow => x.type === "cell");
    expect(cells.map((c) => [c.encoder, c.knob])).toContainEqual(["libx264", "crf"]);
    expect(cells.map((c) => c.knob)).toContain("crf + b:v 0");
    for (const c of cells) {
      const frames = f.rows.filter((x): x is FrameRow => x.type === "frame" && x.cell === c.cell);
      expect(frames.length).toBe(8);
      expect(frames[0]!.frame_type).toBe("KEY");
      const kept = join(keep, `${c.cell}.${c.encoder === "libx264" ? "mp4" : "webm"}`);
      const s = scoreFiles(c.src, kept, { width: 128, height: 96, pixelFormat: "yuv420p" } as never);
      s.frames.forEach((fr, i) => expect(frames[i]!.vmaf).toBeCloseTo(fr.vmaf, 9));
    }
    expect(() => planCellsFor("libx264", 52)).toThrow(/crf 52 is out of range \(an integer 0..51\)/);
  }, 300_000);

  test("a run killed mid-grid leaves whole cells only, and resuming gives the uninterrupted run's rows", async () => {
    const full = join(dir, "full.jsonl"), killed = join(dir, "killed.jsonl");
    expect(await cli(cliArgs(full)).exited).toBe(0);
    const p = cli(cliArgs(killed));
    // kill it once some (not all) cells have landed
    for (let i = 0; i < 600; i++) {
      await Bun.sleep(20);
      if (existsSync(killed) && readRows(killed).done.size >= 3) break;
    }
    p.kill("SIGKILL");
    await p.exited;
    const partial = readRows(killed);
    expect(partial.problems).toEqual([]);
    expect(partial.done.size).toBeGreaterThanOrEqual(3);
    expect(partial.done.size).toBeLessThan(16);
    // every cell present is whole: its 4 frames... all 8 frame rows and its summary
    for (const id of partial.done) expect(partial.rows.filter((r) => r.cell === id).length).toBe(9);
    const resumed = cli(cliArgs(killed));
    const [code, err] = await Promise.all([resumed.exited, new Response(resumed.stderr).text()]);
    expect(code).toBe(0);
    expect(err).toContain(`${partial.done.size} already in`);
    expect(comparable(readRows(killed).rows as never)).toEqual(comparable(readRows(full).rows as never));
  }, 300_000);

  test("a source that cannot be read is an error row, the run goes on, the exit status counts failures", async () => {
    const out = join(dir, "errors.jsonl");
    const p = cli(["--source", join(dir, "missing.mp4"), "--source", srcA, "--width", "128", "--height", "96", "--encoder", "av1:preset=13", "--cq", "40", "--out", out]);
    const [code, err] = await Promise.all([p.exited, new Response(p.stderr).text()]);
    expect(code).toBe(1);
    expect(err).toContain("1 failed");
    const f = readRows(out);
    const errors = f.rows.filter((r) => r.type === "error");
    expect(errors.length).toBe(1);
    expect((errors[0] as { error: { message: string } }).error.message).toContain("missing.mp4");
    expect(f.rows.filter((r) => r.type === "cell").length).toBe(1);
  }, 120_000);

  test("an unwritable output fails before any encode; bad arguments are refused with the usage", async () => {
    await expect(runCorpus({ ...grid, out: join(dir, "no", "such", "dir", "rows.jsonl") })).rejects.toThrow(FileError);
    for (const [args, msg] of [
      [["--width", "128", "--height", "96", "--encoder", "nope", "--cq", "1"], 'unknown corpus encoder "nope"'],
      [["--encoder", "av1", "--cq", "30"], "is raw video with no header: give --width and --height"],
      [["--width", "128", "--height", "96", "--encoder", "av1", "--cq", "thirty"], '--cq takes numbers (got "thirty")'],
    ] as const) {
      const p = cli(["--source", srcA, ...args, "--out", join(dir, "x.jsonl")]);
      const [code, err] = await Promise.all([p.exited, new Response(p.stderr).text()]);
      expect(code).toBe(101);
      expect(err).toContain(msg);
    }
    expect(existsSync(join(dir, "x.jsonl"))).toBe(false);
    expect(readFileSync(srcA).length).toBe(128 * 96 * 1.5 * 8);
  }, 60_000);
});
