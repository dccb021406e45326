/**
 * NativeHandle: resources the user forgot to close are freed when collected. Each case runs in a fresh
 * process (a leaked encoder would hold SVT-AV1's preset for the rest of this one).
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";

const ROOT = join(import.meta.dir, "..", "..");

function run(code: string): { out: string; err: string; exitCode: number | null } {
  const p = Bun.spawnSync(["bun", "-e", code], { cwd: ROOT });
  return { out: p.stdout.toString().trim(), err: p.stderr.toString(), exitCode: p.exitCode };
}

test("an Av1Encoder with a delta-QP hook dropped unclosed is collected: its preset no longer blocks another", () => {
  const r = run(`
    import { Av1Encoder } from "./src/codec/av1_encoder";
    import { synthFrames } from "./src/io/synth";
    let finalized = 0;
    const seen = new FinalizationRegistry(() => finalized++);
    const frames = [...synthFrames(128, 128, 2, 1)];
    function leak() {
      const enc = new Av1Encoder({ width: 128, height: 128, preset: 12 });
      enc.onDeltaQ((i, a, offsets) => { offsets.fill(i % 2 ? 8 : -8); });
      enc.encode(frames[0]);
      seen.register(enc, 0);
    }
    for (let i = 0; i < 5; i++) leak();
    for (let i = 0; i < 20 && finalized < 5; i++) { Bun.gc(true); await Bun.sleep(10); }
    let other = "opened";
    try { using e = new Av1Encoder({ width: 128, height: 128, preset: 8 }); e.encode(frames[1]); }
    catch (e) { other = e.constructor.name + ": " + e.message; }
    console.log(JSON.stringify({ finalized, other }));
  `);
  expect(r.exitCode).toBe(0);
  expect(JSON.parse(r.out)).toEqual({ finalized: 5, other: "opened" });
});

test("a closed handle throws StateError naming the call; close is idempotent; using closes", () => {
  const r = run(`
    import { Av1Encoder } from "./src/codec/av1_encoder";
    import { StateError } from "./src/core/errors";
    let enc;
    { using e = new Av1Encoder({ width: 128, height: 128, preset: 12 }); enc = e; }
    const out = [enc.closed];
    try { enc.flush(); } catch (e) { out.push(e instanceof StateError, e.message); }
    enc.close(); enc.close();
    console.log(JSON.stringify(out));
  `);
  expect(r.exitCode).toBe(0);
  expect(JSON.parse(r.out)).toEqual([true, true, "Av1Encoder.flush: the Av1Encoder is closed"]);
});

test("an IvfWriter dropped unclosed is finalized: the file's frame count is written", () => {
  const dir = mkdtempSync(join(tmpdir(), "av1gym-handle-"));
  try {
    const path = join(dir, "leak.ivf");
    const r = run(`
      import { IvfWriter } from "./src/io/ivf";
      function leak() {
        const w = new IvfWriter(${JSON.stringify(path)}, { width: 64, height: 64, fps: { num: 25, den: 1 } });
        for (let i = 0; i < 3; i++) w.write(new Uint8Array([0x12, 0x00]));
      }
      leak();
      for (let i = 0; i < 10; i++) { Bun.gc(true); await Bun.sleep(10); }
      console.log("done");
    `);
    expect(r.exitCode).toBe(0);
    const file = readFileSync(path);
    expect(file.length).toBe(32 + 3 * (12 + 2));
    expect(file.readUInt32LE(24)).toBe(3); // written by ag_ivf_close, run by the finalizer
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
