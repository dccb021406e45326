/**
 * Corpus progress on stderr: a one-line bar on a terminal (cells done/total, frames/s, ETA); otherwise one
 * JSON line per finished cell, for logs and other programs.
 */
import type { CellSpec } from "./grid";
import type { Row } from "./schema";

export interface CellDone {
  cell: CellSpec;
  rows: Row[];
  /** Cells finished (run or skipped) and the total. */
  done: number;
  total: number;
  elapsedS: number;
}

export function progressReporter(stream: NodeJS.WriteStream = process.stderr): (p: CellDone) => void {
  let frames = 0;
  const tty = stream.isTTY === true;
  return (p) => {
    const summary = p.rows[p.rows.length - 1];
    const ok = summary?.type === "cell";
    if (ok) frames += summary.frames;
    const fps = frames / Math.max(p.elapsedS, 1e-9);
    const remaining = p.total - p.done;
    const eta = p.done > 0 ? (p.elapsedS / p.done) * remaining : NaN;
    if (tty) {
      const width = 24, fill = Math.round((p.done / p.total) * width);
      const bar = "#".repeat(fill) + ".".repeat(width - fill);
      stream.write(`\r[${bar}] ${p.done}/${p.total} cells  ${fps.toFixed(0)} frames/s  ETA ${Number.isFinite(eta) ? `${eta.toFixed(0)} s` : "?"}   `);
      if (p.done === p.total) stream.write("\n");
    } else {
      stream.write(
        JSON.stringify({
          event: "cell", cell: p.cell.id, src: p.cell.source.path, encoder: p.cell.encoder.label ?? p.cell.encoder.name, cq: p.cell.value,
          status: ok ? "ok" : "error", ...(ok ? {} : { error: (summary as { error?: { message: string } })?.error?.message }),
          done: p.done, total: p.total, frames_per_s: Math.round(fps), eta_s: Number.isFinite(eta) ? Math.round(eta) : null,
        }) + "\n",
      );
    }
  };
}
