/** av1gym: the public API. */
export * from "./core/errors";
export * from "./core/frame";
export * from "./io/reader";
export * from "./codec/av1_encoder";
export * from "./analysis/analysis";
export * from "./io/ivf";
export * from "./io/synth";
export * from "./metrics/metrics";
export * from "./metrics/vmaf";
export * from "./metrics/score_files";
export * from "./metrics/bdrate";
export * from "./env/index";
