/**
 * A pool of corpus worker processes (src/corpus/cell_worker.ts): each runs one cell at a time; a worker
 * that dies mid-cell (a native crash, an OOM kill) turns that cell into an error row and is replaced.
 * Processes are started on first use, or all at once by warm(); they stay up until close(), so a cell
 * never pays for a process start or the native library's load except the first on each slot.
 */
import type { Subprocess } from "bun";
import { errorRow, type CellOptions } from "./cell";
import type { CellReply } from "./cell_worker";
import type { CellSpec } from "./grid";
import type { Row } from "./schema";

const WORKER = new URL("./cell_worker.ts", import.meta.url).pathname;

/** A cell's rows and what it cost in its worker process (wall and CPU time of runCell alone). */
export interface CellRun {
  rows: Row[];
  wallMs: number;
  cpuMs: number;
}

interface Slot {
  proc: Subprocess | null;
  ready: Promise<void> | null;
  busy: { seq: number; cell: CellSpec; resolve: (run: CellRun) => void } | null;
}

export class CellPool {
  #slots: Slot[];
  #seq = 0;
  #queue: { cell: CellSpec; options: CellOptions; resolve: (run: CellRun) => void }[] = [];
  #closed = false;

  constructor(size: number) {
    this.#slots = Array.from({ length: size }, () => ({ proc: null, ready: null, busy: null }));
  }

  /** Runs a cell on the next free worker; resolves with its rows (an error row if it failed or crashed). */
  run(cell: CellSpec, options: CellOptions): Promise<CellRun> {
    return new Promise((resolve) => {
      this.#queue.push({ cell, options, resolve });
      this.#dispatch();
    });
  }

  /** Starts every worker process and resolves once each has loaded the native library. */
  async warm(): Promise<void> {
    await Promise.all(this.#slots.map((slot) => this.#start(slot)));
  }

  #start(slot: Slot): Promise<void> {
    if (!slot.proc) {
      let ready!: () => void;
      slot.ready = new Promise<void>((r) => (ready = r));
      slot.proc = this.#spawn(slot, ready);
    }
    return slot.ready!;
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (this.#closed || slot.busy || this.#queue.length === 0) continue;
      const job = this.#queue.shift()!;
      const seq = ++this.#seq;
      slot.busy = { seq, cell: job.cell, resolve: job.resolve };
      void this.#start(slot);
      slot.proc!.send({ seq, cell: job.cell, options: job.options });
    }
  }

  #spawn(slot: Slot, ready: () => void): Subprocess {
    const proc = Bun.spawn([process.execPath, WORKER], {
      stdio: ["ignore", "inherit", "inherit"],
      serialization: "json",
      ipc: (msg: CellReply) => {
        if ("ready" in msg) return ready();
        if (!slot.busy || slot.busy.seq !== msg.seq) return;
        const done = slot.busy;
        slot.busy = null;
        done.resolve({ rows: msg.rows, wallMs: msg.wallMs, cpuMs: msg.cpuMs });
        this.#dispatch();
      },
      onExit: (_p, code, signal) => {
        ready(); // a process that died before it was ready: warm() does not wait for ever
        if (slot.proc === proc) {
          slot.proc = null;
          slot.ready = null;
        }
        if (slot.busy) {
          const done = slot.busy;
          slot.busy = null;
          const how = signal ? `signal ${signal}` : `exit code ${code}`;
          done.resolve({ rows: [errorRow(done.cell, new Error(`the worker process running this cell died (${how})`))], wallMs: 0, cpuMs: 0 });
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
