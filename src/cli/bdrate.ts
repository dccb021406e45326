/** `av1gym bdrate rows.jsonl --anchor NAME [--metric vmaf|psnr_y|...] [--json]`: BD-rate table of a corpus. */
import { parseArgs } from "node:util";
import { Av1GymError } from "../core/errors";
import { bdRateTable, formatBdTable } from "../corpus/bdrate_table";
import { readRows } from "../corpus/rows_file";

export const BDRATE_USAGE = `usage: av1gym bdrate ROWS.jsonl --anchor ENCODER [--metric vmaf|psnr_y|float_ssim|...] [--json]

  BD-rate (PCHIP over log-rate, >= 4 points per curve) of every encoder against the anchor, per source and
  averaged; rate is the cell's bitrate, quality the pooled mean of the metric (default vmaf).`;

export function bdrateCommand(argv: string[]): number {
  let a;
  try {
    a = parseArgs({
      args: argv, allowPositionals: true,
      options: { anchor: { type: "string" }, metric: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    });
  } catch (e) {
    console.error(`av1gym bdrate: ${(e as Error).message}\n${BDRATE_USAGE}`);
    return 2;
  }
  if (a.values.help) {
    console.log(BDRATE_USAGE);
    return 0;
  }
  const [file] = a.positionals;
  if (!file || !a.values.anchor) {
    console.error(`av1gym bdrate: give the rows file and --anchor\n${BDRATE_USAGE}`);
    return 2;
  }
  try {
    const rows = readRows(file);
    for (const p of rows.problems) console.error(`av1gym bdrate: ${file}:${p.line}: ${p.message} (skipped)`);
    const table = bdRateTable(rows.rows, { anchor: a.values.anchor, metric: a.values.metric ?? "vmaf" });
    console.log(a.values.json ? JSON.stringify(table) : formatBdTable(table));
    return 0;
  } catch (e) {
    if (!(e instanceof Av1GymError)) throw e;
    console.error(`av1gym bdrate: ${e.message}`);
    return 1;
  }
}
