/**
 * Reading and appending a corpus rows file. A cell's rows are appended with one write(2) on a file opened
 * O_APPEND: a process killed (even SIGKILL) between cells or during that write leaves either the whole
 * cell or none of it, because the kernel finishes a regular-file write before delivering the signal. A
 * line that is not a complete row (power loss, a hand edit) is reported with its line number and never
 * crashes the reader; a cell counts as done only when its summary or error row is present.
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, writeSync, ftruncateSync } from "node:fs";
import { FileError } from "../core/errors";
import { rowProblem, type Row } from "./schema";

export interface RowsProblem {
  line: number;
  message: string;
}

export interface RowsFile {
  rows: Row[];
  /** Cells whose rows are complete (a summary or error row is present). */
  done: Set<string>;
  /** Cells that failed (an error row). */
  failed: Set<string>;
  problems: RowsProblem[];
}

/** Parses a rows file; a missing file is an empty one. Bad lines become `problems` (with line numbers). */
export function readRows(path: string): RowsFile {
  const out: RowsFile = { rows: [], done: new Set(), failed: new Set(), problems: [] };
  if (!existsSync(path)) return out;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new FileError(`cannot read rows file ${path}: ${(e as Error).message}`, { cause: e });
  }
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      const last = i === lines.length - 1 && !text.endsWith("\n");
      out.problems.push({ line: i + 1, message: last ? "truncated last line (not valid JSON)" : "not valid JSON" });
      return;
    }
    const p = rowProblem(v);
    if (p) {
      out.problems.push({ line: i + 1, message: p });
      return;
    }
    const row = v as Row;
    out.rows.push(row);
    if (row.type === "cell" || row.type === "error") out.done.add(row.cell);
    if (row.type === "error") out.failed.add(row.cell);
  });
  return out;
}

/** Rows grouped by cell, keeping only complete cells (a frame row whose cell never finished is dropped). */
export function completeCells(file: RowsFile): Map<string, Row[]> {
  const cells = new Map<string, Row[]>();
  for (const r of file.rows) {
    if (!file.done.has(r.cell)) continue;
    let list = cells.get(r.cell);
    if (!list) cells.set(r.cell, (list = []));
    list.push(r);
  }
  return cells;
}

/** An output file opened for appending whole cells. */
export class RowsWriter {
  readonly path: string;
  #fd: number | null;

  constructor(path: string) {
    this.path = path;
    try {
      this.#fd = openSync(path, "a");
    } catch (e) {
      throw new FileError(`cannot write rows to ${path}: ${(e as Error).message}`, { cause: e });
    }
    // A file that ends in a torn line (an earlier run's power loss) gets a newline first, so the next cell
    // starts on a line of its own and the torn line stays a reported problem, not a corrupted row.
    const size = fstatSync(this.#fd).size;
    if (size > 0) {
      const buf = readFileSync(path);
      if (buf[buf.length - 1] !== 0x0a) writeSync(this.#fd, "\n");
    }
  }

  /** Appends all rows of one cell with a single write. */
  appendCell(rows: Row[]): void {
    if (this.#fd === null) throw new FileError(`rows file ${this.path} is closed`);
    const data = Buffer.from(rows.map((r) => JSON.stringify(r)).join("\n") + "\n", "utf8");
    const before = fstatSync(this.#fd).size;
    let written: number;
    try {
      written = writeSync(this.#fd, data);
    } catch (e) {
      throw new FileError(`writing ${this.path} failed: ${(e as Error).message}`, { cause: e });
    }
    if (written !== data.length) {
      // A short write (disk full): take the partial cell back so the file holds whole cells only.
      try {
        ftruncateSync(this.#fd, before);
      } catch {}
      throw new FileError(`writing ${this.path} failed: only ${written} of ${data.length} bytes were written (disk full?)`);
    }
  }

  close(): void {
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }
}
