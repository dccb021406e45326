/** `av1gym report rows.jsonl --out report.html [--anchor NAME] [--png [PATH]]`: the corpus's HTML report. */
import { parseArgs } from "node:util";
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { Av1GymError, FileError } from "../core/errors";
import { renderReport } from "../corpus/report";
import { readRows } from "../corpus/rows_file";
import { screenshotHtml } from "../corpus/browser";

export const REPORT_USAGE = `usage: av1gym report ROWS.jsonl --out REPORT.html [--anchor ENCODER] [--title T] [--png [PATH]]

  One self-contained HTML file: BD-rate tables, RD curves per source, per-frame VMAF per cell.
  --png writes a full-page screenshot (default: the report's path with .png) with the system's Chromium.`;

export async function reportCommand(argv: string[]): Promise<number> {
  // --png takes an optional value: "--png" alone means "next to the report".
  const i = argv.indexOf("--png");
  let png: string | undefined;
  if (i >= 0) {
    const next = argv[i + 1];
    png = next && !next.startsWith("--") && next.endsWith(".png") ? next : "";
    argv = argv.filter((_, k) => k !== i && !(png && k === i + 1));
  }
  let a;
  try {
    a = parseArgs({
      args: argv, allowPositionals: true,
      options: { out: { type: "string" }, anchor: { type: "string" }, title: { type: "string" }, help: { type: "boolean", short: "h" } },
    });
  } catch (e) {
    console.error(`av1gym report: ${(e as Error).message}\n${REPORT_USAGE}`);
    return 2;
  }
  if (a.values.help) {
    console.log(REPORT_USAGE);
    return 0;
  }
  const [file] = a.positionals;
  if (!file || !a.values.out) {
    console.error(`av1gym report: give the rows file and --out\n${REPORT_USAGE}`);
    return 2;
  }
  try {
    const rows = readRows(file);
    for (const p of rows.problems) console.error(`av1gym report: ${file}:${p.line}: ${p.message} (skipped)`);
    const html = renderReport(rows.rows, { ...(a.values.anchor ? { anchor: a.values.anchor } : {}), ...(a.values.title ? { title: a.values.title } : {}) });
    const out = resolve(a.values.out);
    try {
      writeFileSync(out, html);
    } catch (e) {
      throw new FileError(`cannot write ${out}: ${(e as Error).message}`, { cause: e });
    }
    console.error(`av1gym report: wrote ${out}`);
    if (png !== undefined) {
      const pngPath = resolve(png || out.replace(/\.html?$/i, "") + ".png");
      await screenshotHtml(out, pngPath);
      console.error(`av1gym report: wrote ${pngPath}`);
    }
    return 0;
  } catch (e) {
    if (!(e instanceof Av1GymError)) throw e;
    console.error(`av1gym report: ${e.message}`);
    return 1;
  }
}
