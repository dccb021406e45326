/**
 * The corpus report in a real browser (the system's Chromium through playwright-core): it loads with no
 * console errors, has one RD curve per encoder per source and metric, and its BD-rate table shows
 * bdRateTable()'s numbers. Skipped, with a message, where no Chromium is installed (the set-up installs
 * Debian's `chromium` when run as root).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { runCorpus } from "../../src/corpus/runner";
import { readRows } from "../../src/corpus/rows_file";
import { renderReport } from "../../src/corpus/report";
import { bdRateTable } from "../../src/corpus/bdrate_table";
import { chromiumPath, launchChromium } from "../../src/corpus/browser";
import { rawSource, writeRawSource } from "./fixtures";

const dir = mkdtempSync(join(tmpdir(), "av1gym-report-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CLI = resolve(import.meta.dir, "..", "..", "src", "cli", "main.ts");
const HAVE_BROWSER = chromiumPath() !== null;
if (!HAVE_BROWSER) console.warn("[report.test] no Chromium (apt-get install chromium): browser tests skipped");

async function corpusRows(): Promise<string> {
  const out = join(dir, "rows.jsonl");
  if (existsSync(out)) return out;
  await runCorpus({
    sources: [rawSource(writeRawSource(dir, "a.yuv", 6, 1)), rawSource(writeRawSource(dir, "b.yuv", 6, 9))],
    encoders: [{ name: "av1", label: "p13", options: { preset: 13 } }, { name: "av1", label: "p10", options: { preset: 10 } }],
    cq: [25, 35, 45, 55],
    metrics: { psnr: true },
    out,
    jobs: 2,
  });
  return out;
}

describe("bdrate and report commands", () => {
  test("bdrate prints the table; too few points per curve is a clear message, not a crash", async () => {
    const out = await corpusRows();
    const p = Bun.spawn(["bun", CLI, "bdrate", out, "--anchor", "p13", "--json"], { stdout: "pipe", stderr: "pipe" });
    const [code, text] = await Promise.all([p.exited, new Response(p.stdout).text()]);
    expect(code).toBe(0);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(bdRateTable(readRows(out).rows, { anchor: "p13" }))));
    // keep two cells per curve: every BD-rate is "needs ≥ 4 points"
    const few = join(dir, "few.jsonl");
    const rows = readRows(out).rows.filter((r) => r.cq <= 35);
    writeFileSync(few, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
    const q = Bun.spawn(["bun", CLI, "bdrate", few, "--anchor", "p13"], { stdout: "pipe", stderr: "pipe" });
    const [code2, text2] = await Promise.all([q.exited, new Response(q.stdout).text()]);
    expect(code2).toBe(0);
    expect(text2).toContain("needs ≥ 4 points per curve (p13: 2, p10: 2)");
  }, 300_000);

  test.skipIf(!HAVE_BROWSER)("the report loads in Chromium with no console errors; curves and BD-rates are right", async () => {
    const out = await corpusRows();
    const rows = readRows(out).rows;
    const html = join(dir, "report.html");
    writeFileSync(html, renderReport(rows, { anchor: "p13" }));
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
      page.on("pageerror", (e) => problems.push(e.message));
      page.on("request", (r) => !r.url().startsWith("file://") && problems.push(`network request: ${r.url()}`));
      await page.goto(`file://${html}`);
      expect(problems).toEqual([]);
      const sources = [...new Set(rows.map((r) => r.src))];
      for (const src of sources)
        for (const metric of ["vmaf", "psnr_y"]) {
          const names = await page.$$eval(
            `svg[data-kind="rd"][data-metric="${metric}"][data-source="${src}"] g.series`,
            (gs) => gs.map((g) => g.getAttribute("data-encoder")),
          );
          expect(names.sort()).toEqual(["p10", "p13"]);
        }
      for (const metric of ["vmaf", "psnr_y"]) {
        const t = bdRateTable(rows, { anchor: "p13", metric });
        const shown = await page.$$eval(`table.bdrate[data-metric="${metric}"] td[data-bdrate]`, (tds) =>
          tds.map((td) => [td.getAttribute("data-source"), td.getAttribute("data-encoder"), Number(td.getAttribute("data-bdrate")), td.textContent]),
        );
        const want = [...t.sources.map((s) => [s, "p10", t.perSource[s]!.p10]), ["average", "p10", t.average.p10]];
        expect(shown.map((s) => s.slice(0, 3))).toEqual(want);
        for (const s of shown) expect(s[3]).toBe(`${(s[2] as number) >= 0 ? "+" : ""}${(s[2] as number).toFixed(2)} %`);
      }
    } finally {
      await browser.close();
    }
    // --png: a screenshot next to the report
    const p = Bun.spawn(["bun", CLI, "report", out, "--out", join(dir, "r.html"), "--png"], { stdout: "pipe", stderr: "pipe" });
    expect(await p.exited).toBe(0);
    const png = Bun.file(join(dir, "r.png"));
    expect(png.size).toBeGreaterThan(10_000);
    expect([...new Uint8Array(await png.slice(0, 4).arrayBuffer())]).toEqual([0x89, 0x50, 0x4e, 0x47]);
  }, 300_000);
});
