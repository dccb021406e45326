/** Test sources for the corpus: raw yuv420p files of generated content, so tests need no ../shared. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { synthFrames } from "../../src/io/synth";

export const W = 128, H = 96;

/** Writes `frames` generated frames (seeded) as raw yuv420p; returns the path. */
export function writeRawSource(dir: string, name: string, frames: number, seed: number): string {
  const parts: Uint8Array[] = [];
  for (const f of synthFrames(W, H, frames, seed)) parts.push(f.y as Uint8Array, f.u as Uint8Array, f.v as Uint8Array);
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat(parts));
  return path;
}

export const rawSource = (path: string) => ({ path, width: W, height: H, pixelFormat: "yuv420p", fps: 25 });

/** Fields that measure time, which differ between two runs of the same cell. */
export const TIMING_FIELDS = ["enc_time_ms", "encode_fps"];

/** Rows without timing fields, sorted by cell and frame, for comparing runs. */
export function comparable(rows: Record<string, unknown>[]): string[] {
  return rows
    .map((r) => {
      const c: Record<string, unknown> = { ...r };
      for (const k of TIMING_FIELDS) delete c[k];
      if (c.type === "cell") delete c.pooled; // pooled holds only per-frame metrics (checked through the frame rows)
      return JSON.stringify(c, Object.keys(c).sort());
    })
    .sort();
}
