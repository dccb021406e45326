/**
 * A frame-level qp agent: a linear function of the observation of the frame about to be encoded (key frame,
 * temporal layer, spatial and temporal complexity, the default's base qindex) gives a qp change relative to
 * the qp nearest SVT-AV1's own base qindex for that frame. Weights are a small JSON file (frame_qp.json, written
 * by examples/train_frame_qp.ts); all-zero weights reproduce the default's qp choice.
 *
 * As a policy module for the harness: `bun run av1gym rl-eval --policy examples/policies/frame_qp_policy.ts`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Observation } from "../../src/env/env";
import type { Policy } from "../../src/env/evaluate";
import { FRAME_FEATURES } from "../../src/env/observation";

const G = (name: (typeof FRAME_FEATURES)[number]) => FRAME_FEATURES.indexOf(name);
const IS_KEY = G("next_is_key"), LAYER = G("next_temporal_layer"), DEFQ = G("next_default_qindex");
const LOGVAR = G("frame_log_variance"), TMAD = G("frame_temporal_mad");

/** Names of the policy's inputs, in weight order. */
export const FRAME_QP_INPUTS = ["key", "layer0", "layer1", "layer2", "log_variance", "temporal_mad", "default_qindex", "key_x_qindex", "layer2_x_qindex"] as const;
/** Largest qp change the policy makes (in SVT-AV1 qp units: 4 qindex each). */
export const MAX_QP_DELTA = 8;

export function frameQpInputs(obs: Observation): number[] {
  const f = obs.frame;
  const key = f[IS_KEY]! === 1 ? 1 : 0;
  const layer = Math.round(f[LAYER]! * 2);
  const q = f[DEFQ]! - 0.5; // the operating point: the rate decides how much a layer's quality is worth
  return [key, key ? 0 : +(layer === 0), +(layer === 1), +(layer === 2), f[LOGVAR]! - 0.6, f[TMAD]! - 0.2, q, key * q, +(layer === 2) * q];
}

/** The qp for the frame: the default's (nearest qp to its base qindex) plus the policy's change. */
export function frameQpAction(weights: ArrayLike<number>, obs: Observation): { frameQp: number } {
  const x = frameQpInputs(obs);
  let z = 0;
  for (let i = 0; i < x.length; i++) z += weights[i]! * x[i]!;
  const delta = Math.max(-MAX_QP_DELTA, Math.min(MAX_QP_DELTA, Math.round(z)));
  const q = obs.frame[DEFQ]! * 255;
  const base = q >= 254 ? 63 : Math.max(1, Math.min(62, Math.round(q / 4)));
  return { frameQp: Math.max(1, Math.min(63, base + delta)) };
}

export function frameQpPolicy(weights: ArrayLike<number>, name = "frame_qp"): Policy {
  return { name, encoder: { frameQp: true }, act: (obs) => frameQpAction(weights, obs) };
}

export const WEIGHTS_FILE = join(import.meta.dir, "frame_qp.json");

/** The shipped weights. */
export function loadFrameQpWeights(path = WEIGHTS_FILE): number[] {
  const j = JSON.parse(readFileSync(path, "utf8")) as { inputs: string[]; weights: number[] };
  if (JSON.stringify(j.inputs) !== JSON.stringify(FRAME_QP_INPUTS) || j.weights.length !== FRAME_QP_INPUTS.length)
    throw new Error(`${path}: weights for inputs ${j.inputs?.join(",")}, expected ${FRAME_QP_INPUTS.join(",")}`);
  return j.weights;
}

export default frameQpPolicy(loadFrameQpWeights());
