/** The observation's feature tables: names, bounds and scaling come from one place and match the analysis. */
import { expect, test } from "bun:test";
import { ANALYSIS_FEATURE_COUNT, FEATURE, MOTION_SEARCH_RANGE, analyzeFrame } from "../../src/analysis/analysis";
import { allocI420 } from "../../src/core/frame";
import { Rng } from "../../src/core/rng";
import { Env } from "../../src/env/env";
import {
  FRAME_FEATURES,
  FRAME_FEATURE_TABLE,
  SB,
  SB_F,
  SUPERBLOCK_FEATURES,
  SUPERBLOCK_FEATURE_TABLE,
  observationBounds,
  scaleAnalysisFrame,
} from "../../src/env/observation";

const W = 320;
const H = 192;

/** Smooth random content (Gaussian blobs) shifted by (dx, dy): block matching can follow it far. */
function blobs(seed: number) {
  const P = 64;
  const BW = W + 2 * P;
  const BH = H + 2 * P;
  const r = new Rng(seed);
  const tex = new Float64Array(BW * BH);
  for (let k = 0; k < 60; k++) {
    const cx = r.float() * BW, cy = r.float() * BH, s = 6 + r.float() * 14, a = r.float() * 200 - 100;
    for (let y = 0; y < BH; y++) for (let x = 0; x < BW; x++) tex[y * BW + x]! += a * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * s * s));
  }
  return (dx: number, dy: number) => {
    const f = allocI420(W, H);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) f.y[y * W + x] = Math.max(0, Math.min(255, 128 + tex[(y + P - dy) * BW + (x + P - dx)]!));
    return f;
  };
}

test("motion: the analysis reaches ±MOTION_SEARCH_RANGE (37 px) and never more; scaled, that is exactly the space's bound", () => {
  expect(MOTION_SEARCH_RANGE).toBe(37);
  const content = blobs(1);
  const prev = content(0, 0);
  const nSb = 5 * 3;
  const bounds = observationBounds(nSb);
  let atBound = 0;
  for (const d of [37, 38, 45, 60]) {
    const raw = analyzeFrame(content(d, -d), prev).data;
    const scaled = scaleAnalysisFrame(raw, nSb);
    for (let i = 0; i < nSb; i++) {
      for (const [f, k] of [[FEATURE.mvX, SB.motion_x], [FEATURE.mvY, SB.motion_y]] as const) {
        const mv = raw[i * ANALYSIS_FEATURE_COUNT + f]!;
        expect(Math.abs(mv)).toBeLessThanOrEqual(MOTION_SEARCH_RANGE);
        const v = scaled[i * ANALYSIS_FEATURE_COUNT + k]!;
        expect(v).toBeGreaterThanOrEqual(bounds.sbLow[i * SB_F + k]!);
        expect(v).toBeLessThanOrEqual(bounds.sbHigh[i * SB_F + k]!);
        if (Math.abs(mv) === MOTION_SEARCH_RANGE) {
          atBound++;
          expect(Math.abs(v)).toBe(1);
          expect(v).toBe(mv > 0 ? bounds.sbHigh[i * SB_F + k]! : bounds.sbLow[i * SB_F + k]!);
        }
      }
    }
  }
  // Interior superblocks of the 37-px shift follow it exactly (and saturate at larger shifts).
  expect(atBound).toBeGreaterThan(20);
});

test("names, bounds and order all come from the tables; the Env's spaces use them", () => {
  expect(SUPERBLOCK_FEATURES).toEqual(SUPERBLOCK_FEATURE_TABLE.map((f) => f.name));
  expect(FRAME_FEATURES).toEqual(FRAME_FEATURE_TABLE.map((f) => f.name));
  for (const f of [...SUPERBLOCK_FEATURE_TABLE, ...FRAME_FEATURE_TABLE]) expect(f.low).toBeLessThan(f.high);
  // The documented search range is the analysis' own (the table once said ±35 while the C searched ±37).
  expect(SUPERBLOCK_FEATURE_TABLE[SB.motion_x].doc).toContain(`${MOTION_SEARCH_RANGE}`);
  using env = new Env({ source: { synth: { width: 128, height: 128, frames: 2 } }, encoder: { preset: 12 } });
  const b = observationBounds(4);
  expect(env.observationSpace.spaces.superblocks.low).toEqual(b.sbLow);
  expect(env.observationSpace.spaces.superblocks.high).toEqual(b.sbHigh);
  expect(env.observationSpace.spaces.frame.low).toEqual(b.frameLow);
  expect(env.observationSpace.spaces.frame.high).toEqual(b.frameHigh);
  // Extreme analysis values (flat black, full-swing checkerboard) stay inside the scaled bounds.
  const black = allocI420(64, 64);
  const checker = allocI420(64, 64);
  for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) checker.y[y * 64 + x] = (x + y) % 2 ? 255 : 0;
  for (const [cur, prev] of [[black, null], [checker, black], [black, checker], [checker, null]] as const) {
    const s = scaleAnalysisFrame(analyzeFrame(cur, prev).data, 1);
    for (let k = 0; k < ANALYSIS_FEATURE_COUNT; k++) {
      expect(s[k]!).toBeGreaterThanOrEqual(b.sbLow[k]!);
      expect(s[k]!).toBeLessThanOrEqual(b.sbHigh[k]!);
    }
  }
});
