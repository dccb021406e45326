/**
 * A corpus worker process: runs the cells its parent sends (over Bun's IPC channel) one at a time and sends
 * back their rows. Cells run in child processes so that one that crashes natively costs an error row, not
 * the run, and so that SVT-AV1's process-wide tables never see two presets at once.
 */
import { runCell, type CellOptions } from "./cell";
import type { CellSpec } from "./grid";

export interface CellRequest {
  seq: number;
  cell: CellSpec;
  options: CellOptions;
}

process.on("message", (msg: CellRequest) => {
  const rows = runCell(msg.cell, msg.options);
  process.send!({ seq: msg.seq, rows });
});
// The parent went away (killed, or done): nothing left to do.
process.on("disconnect", () => process.exit(0));
