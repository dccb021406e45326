/** av1gym: the public API. */
export * from "./errors";
export * from "./frame";
