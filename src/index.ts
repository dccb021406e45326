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
export * from "./env/index";
export * from "./core/rational";
export * from "./codec/packet";
export * from "./codec/recon";
export * from "./io/muxer";
