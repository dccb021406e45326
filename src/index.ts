/**
 * av1gym: the public API, listed by name. Anything not here (the native binding, the error-code table,
 * option schemas, internal helpers) may change without notice; `import ... from "av1gym"` sees only this.
 * test/readme.test.ts type-checks every TypeScript block of the README against it.
 */

// Errors: every failure is one of these (base Av1GymError, with a `code`).
export {
  Av1GymError,
  BdRateError,
  CallbackError,
  EncoderError,
  EnvCheckError,
  EpisodeEndedError,
  FileError,
  FormatError,
  InvalidArgumentError,
  EndOfStreamError,
  InternalError,
  NativeLibraryError,
  OutOfMemoryError,
  OutOfRangeError,
  StateError,
  StreamError,
  FrameTimestampError,
  type TimestampProblem,
  type BdRateFailure,
  type ErrorCode,
} from "./core/errors";

// Frames and randomness.
export { allocI420, chromaSize, type I420Frame, type Samples } from "./core/frame";
export { Rng } from "./core/rng";

// Reading video.
export {
  VideoReader,
  type FrameOf,
  type FramesOptions,
  type FrameTiming,
  type Rational,
  type ReaderFormat,
  type ReaderOptions,
  type RgbFrame,
  type VideoFrame,
  type VideoMetadata,
} from "./io/reader";
export { IvfMuxer, IvfWriter, type IvfOptions } from "./io/ivf";
export type { Muxer } from "./io/muxer";
export { SynthSource, synthFrames } from "./io/synth";

// Encoding.
export {
  Av1Encoder,
  type Av1Packet,
  type DeltaQHook,
  type EncodeOptions,
  type EncoderOptions,
  svtVersion,
} from "./codec/av1_encoder";
export { type EncoderSettings, type RateControl } from "./codec/settings";
export type { Av1PacketInfo, Encoder, FrameEncodeOptions, FrameType, Packet, VideoStreamInfo } from "./codec/packet";
export { ReconPairer, measureReconstruction, type PlaneStats, type Reconstruction } from "./codec/recon";

// Per-superblock analysis.
export {
  ANALYSIS_FEATURES,
  ANALYSIS_FEATURE_COUNT,
  FEATURE,
  MOTION_SEARCH_RANGE,
  SB_SIZE,
  analyzeFrame,
  superblockGrid,
  superblockSse,
  type Analysis,
  type AnalysisFeature,
  type SseResult,
} from "./analysis/analysis";

// Quality metrics.
export { msSsim, psnr, ssim, metricsSimdActive, setMetricsSimd, type PsnrResult } from "./metrics/metrics";
export { psnrCap, psnrFromMse, psnrFromSse } from "./metrics/psnr_math";
export {
  VmafModel,
  VmafScorer,
  defaultModelPath,
  poolFrames,
  toLibvmafJson,
  vmafFeatures,
  type PooledMetric,
  type VmafFeatures,
  type VmafFrameResult,
  type VmafScorerOptions,
} from "./metrics/vmaf";
export { scoreFiles, type ScoreFilesOptions, type ScoreFilesResult } from "./metrics/score_files";
export { bdRate, bdMetric, BD_MIN_POINTS, type BdInterpolation, type BdOptions, type RdPoint } from "./metrics/bdrate";

// Recording several cameras; stream copy (probe, remux, concat) and concat by re-encoding.
export { StreamingEncoder, type CameraFrame, type FeedFrame, type StreamResult, type StreamingEncoderOptions } from "./codec/streaming";
export type { ChannelSummary } from "./codec/channel_stats";
export {
  probe, remux, concat,
  type ProbeResult as MediaProbe, type VideoStreamProbe, type AudioStreamProbe, type RemuxOptions, type CopyResult,
} from "./io/remux";
export type { ReencodeOptions as ConcatReencodeOptions, ReencodeResult as ConcatReencodeResult } from "./io/concat_reencode";
export type { FramesAt } from "./io/reader";

// Decoding packets (any encoder's) back to frames.
export { VideoDecoder, type DecodedFrame, type DecoderOptions } from "./codec/decoder";

// The quality corpus: grids of encodes, per-frame rows, BD-rate tables, the HTML report, BullMQ workers.
export { runCorpus, type CellTiming, type CorpusResult, type RunCorpusOptions } from "./corpus/runner";
export { planCells, type CellSpec, type CorpusSpec, type EncoderSpec, type SourceSpec } from "./corpus/grid";
export { corpusEncoderNames } from "./corpus/encoders";
export { readRows, type RowsFile, type RowsProblem } from "./corpus/rows_file";
export { FEATURE_COLUMNS, type CellRow, type ErrorRow, type FrameRow, type Row } from "./corpus/schema";
export { bdRateTable, formatBdTable, type BdTable } from "./corpus/bdrate_table";
export { renderReport, type ReportOptions } from "./corpus/report";
export { runCorpusQueued, startQueueWorker, type QueueOptions, type WorkerHandle } from "./corpus/queue";

// Reinforcement learning.
export {
  Env,
  clearBaselineCache,
  type EnvOptions,
  type Observation,
  type ResetInfo,
  type ResetOptions,
  type StepInfo,
  type StepResult,
  type StepAction,
  type FrameAction,
  lowDelayLayer,
  qpForQindex,
} from "./env/env";
export {
  evaluatePolicy,
  formatEvaluation,
  loadPolicy,
  toPolicy,
  clearAnchorCache,
  sharedClip,
  ZERO_POLICY,
  HELD_OUT_CLIPS,
  TRAINING_CLIPS,
  METRICS,
  type ClipEvaluation,
  type Evaluation,
  type EvaluateOptions,
  type MetricName,
  type Policy,
  type PolicyContext,
  type PolicyFn,
  type ProgressFn,
  type RdRow,
} from "./env/evaluate";
export { Box, Dict, Discrete, MultiDiscrete, shapeSize, type Dtype, type Space } from "./env/spaces";
export {
  FRAME_FEATURES,
  FRAME_FEATURE_TABLE,
  SUPERBLOCK_FEATURES,
  SUPERBLOCK_FEATURE_TABLE,
  type FeatureSpec,
  type FrameFeature,
  type SuperblockFeature,
} from "./env/observation";
export type { AnyGymEnv, GymEnv, GymResetOptions, GymStepResult } from "./env/gym_env";
export { Wrapper, unwrap } from "./env/wrappers/wrapper";
export { TimeLimit } from "./env/wrappers/time_limit";
export { ClipObservation } from "./env/wrappers/clip_observation";
export { checkEnv, type CheckEnvOptions, type CheckEnvReport } from "./env/check_env";
export { DEFAULT_ACTION_LEVELS, MAX_ACTION_LEVELS } from "./env/actions";
export {
  DISTORTION_NAMES,
  MSE as MseDistortion,
  PSNR as PsnrDistortion,
  distortionByName,
  frameMetricDistortion,
  makeMsSsim as makeMsSsimDistortion,
  makeSsim as makeSsimDistortion,
  makeSsimBox8 as makeSsimBox8Distortion,
  makeVmaf as makeVmafDistortion,
  type Distortion,
  type DistortionInput,
  type DistortionName,
  type RewardMode,
} from "./env/reward";
export { VectorEnv, type VectorEnvOptions, type VectorStepResult } from "./env/vector/vector_env";
export { SyncVectorEnv, type BatchableEnv, type SyncVectorEnvOptions } from "./env/vector/sync_vector_env";
export type { BatchObservation } from "./env/vector/batch";
export type { AutoresetStepInfo } from "./env/vector/autoreset";

// Encoding with any codec (libavcodec), codec strings, hardware probing; writing files (libavformat).
export {
  VideoEncoder,
  INPUT_FORMATS,
  type VideoEncoderOptions,
  type VideoEncodeOptions,
  type InputFormat,
  type InputFrame,
  type Nv12Frame,
  type PackedFrame,
} from "./codec/video_encoder";
export { QUALITY_KNOBS, LOW_LATENCY, KEY_FRAMES, SOFTWARE_ENCODERS, HARDWARE_ENCODERS } from "./codec/encoder_knobs";
export { codecStringOf, type CodecStringCodec } from "./codec/codec_string";
export { probeEncoders, type ProbeResult } from "./codec/hw_probe";
export { VideoWriter, LavfMuxer, type VideoWriterOptions, type MuxOptions } from "./io/writer";
export { encodeImages, listImages } from "./io/images";
