/** The RL environment's public API (src/index.ts re-exports this module). */
export { Env, clearBaselineCache } from "./env";
export type { Observation, StepInfo, ResetInfo, ResetOptions, StepResult, EnvOptions } from "./env";
export { VectorEnv } from "./vector/vector_env";
export type { VectorEnvOptions, BatchObservation, VectorStepResult } from "./vector/vector_env";
export type { AutoresetStepInfo } from "./vector/protocol";
export { Box, Discrete, MultiDiscrete, Dict, shapeSize, type Space, type Dtype } from "./spaces";
export { Rng } from "../core/rng";
export { SUPERBLOCK_FEATURES, FRAME_FEATURES } from "./observation";
export { DEFAULT_ACTION_LEVELS, MAX_ACTION_LEVELS } from "./actions";
export {
  MSE as MseDistortion,
  PSNR as PsnrDistortion,
  makeSsim as makeSsimDistortion,
  makeSsimBox8 as makeSsimBox8Distortion,
  makeMsSsim as makeMsSsimDistortion,
  makeVmaf as makeVmafDistortion,
  distortionByName,
  frameMetricDistortion,
  type Distortion,
  type DistortionInput,
  type RewardMode,
} from "./reward";
export { psnrFromMse, psnrFromSse, psnrCap } from "../metrics/psnr_math";
