/**
 * A corpus worker process: runs the cells its parent sends (over Bun's IPC channel) one at a time and sends
 * back their rows with the cell's wall and CPU time. Cells run in child processes so that one that crashes
 * natively costs an error row, not the run, and so that SVT-AV1's process-wide tables never see two presets
 * at once.
 */
import { runCell, type CellOptions } from "./cell";
import type { CellSpec } from "./grid";
import type { Row } from "./schema";
import { native } from "../native/ffi";

export interface CellRequest {
  seq: number;
  cell: CellSpec;
  options: CellOptions;
}

export type CellReply = { ready: true } | { seq: number; rows: Row[]; wallMs: number; cpuMs: number };

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

process.on("message", (msg: CellRequest) => {
  const t0 = performance.now(), c0 = cpuMs();
  const rows = runCell(msg.cell, msg.options);
  process.send!({ seq: msg.seq, rows, wallMs: performance.now() - t0, cpuMs: cpuMs() - c0 } satisfies CellReply);
});
// The parent went away (killed, or done): nothing left to do.
process.on("disconnect", () => process.exit(0));

// Load the native library (and its ~140 shared objects) now, while no cell waits, then say so: a pool that
// warms up before taking work pays this once, outside any cell. A library that cannot load is reported by
// the first cell's error row, which says how to build it.
try {
  native();
} catch {}
process.send!({ ready: true } satisfies CellReply);
