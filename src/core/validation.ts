/** Validation helpers shared by the option parsers: one way to turn zod's issues into an error message. */
import type { z } from "zod";

/** "path.to.field: message; other: message" (no path for whole-object checks). */
export function zodMessage(e: z.ZodError): string {
  return e.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
}

/**
 * A zod schema built on first use. Loading zod costs ~13 ms and its first parse ~4 ms: modules on the path of
 * `av1gym vmaf` (which checks its own arguments) build their schemas this way, so that the command's start-up
 * does not pay for a library it never calls.
 */
export function lazySchema<T extends z.ZodTypeAny>(build: (zod: typeof z) => T): () => T {
  let schema: T | undefined;
  return () => (schema ??= build((require("zod") as typeof import("zod")).z));
}
