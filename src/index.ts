/** av1gym: the public API. */
export * from "./errors";
export * from "./frame";
export * from "./reader";
export * from "./encoder";
export * from "./analysis";
export * from "./ivf";
export * from "./synth";
export * from "./metrics";
export * from "./vmaf";
export * from "./vmaf_files";
export * from "./env/index";
