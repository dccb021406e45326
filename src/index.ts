/** av1gym: the public API. */
export * from "./errors";
export * from "./frame";
export * from "./reader";
export * from "./encoder";
export * from "./analysis";
export * from "./ivf";
export * from "./synth";
