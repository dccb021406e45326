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
export { VideoEncoder, INPUT_FORMATS, type VideoEncoderOptions, type VideoEncodeOptions, type InputFrame, type Nv12Frame, type PackedFrame } from "./codec/video_encoder";
export { QUALITY_KNOBS, LOW_LATENCY, KEY_FRAMES, SOFTWARE_ENCODERS, HARDWARE_ENCODERS } from "./codec/encoder_knobs";
export { codecStringOf } from "./codec/codec_string";
export { probeEncoders, type ProbeResult } from "./codec/hw_probe";
export { VideoWriter, LavfMuxer, type VideoWriterOptions, type MuxOptions } from "./io/writer";
export { encodeImages, listImages } from "./io/images";
