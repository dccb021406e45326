/**
 * A pool of corpus worker processes (src/corpus/cell_worker.ts): each runs one cell at a time; a worker
 * that dies mid-cell (a native crash, an OOM kill) turns that cell into an error row and is replaced.
 */
import type { Subprocess } from "bun";
import { errorRow, type CellOptions } from "./cell";
import type { CellSpec } from "./grid";
import type { Row } from "./schema";

const WORKER = new URL("./cell_worker.ts", import.meta.url).pathname;

interface Slot {
  proc: Subprocess | null;
  busy: { seq: number; cell: CellSpec; resolve: (rows: Row[]) => void } | null;
}

export class CellPool {
  #slots: Slot[];
  #seq = 0;
  #queue: { cell: CellSpec; options: CellOptions; resolve: (rows: Row[]) => void }[] = [];
  #closed = false;

  constructor(size: number) {
    this.#slots = Array.from({ length: size }, () => ({ proc: null, busy: null }));
  }

  /** Runs a cell on the next free worker; resolves with its rows (an error row if it failed or crashed). */
  run(cell: CellSpec, options: CellOptions): Promise<Row[]> {
    return new Promise((resolve) => {
      this.#queue.push({ cell, options, resolve });
      this.#dispatch();
    });
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (this.#closed || slot.busy || this.#queue.length === 0) continue;
      const job = this.#queue.shift()!;
      const seq = ++this.#seq;
      slot.busy = { seq, cell: job.cell, resolve: job.resolve };
      slot.proc ??= this.#spawn(slot);
      slot.proc.send({ seq, cell: job.cell, options: job.options });
    }
  }

  #spawn(slot: Slot): Subprocess {
    const proc = Bun.spawn([process.execPath, WORKER], {
      stdio: ["ignore", "inherit", "inherit"],
      serialization: "json",
      ipc: (msg: { seq: number; rows: Row[] }) => {
        if (!slot.busy || slot.busy.seq !== msg.seq) return;
        const done = slot.busy;
        slot.busy = null;
        done.resolve(msg.rows);
        this.#dispatch();
      },
      onExit: (_p, code, signal) => {
        if (slot.proc === proc) slot.proc = null;
        if (slot.busy) {
          const done = slot.busy;
          slot.busy = null;
          const how = signal ? `signal ${signal}` : `exit code ${code}`;
          done.resolve([errorRow(done.cell, new Error(`the worker process running this cell died (${how})`))]);
          this.#dispatch();
        }
      },
    });
    return proc;
  }

  /** Stops the workers (a running cell is abandoned). */
  close(): void {
    this.#closed = true;
    for (const s of this.#slots) {
      s.proc?.kill();
      s.proc = null;
    }
  }
}
