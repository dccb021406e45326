/** Validation helpers shared by the option parsers: one way to turn zod's issues into an error message. */
import type { z } from "zod";

/** "path.to.field: message; other: message" (no path for whole-object checks). */
export function zodMessage(e: z.ZodError): string {
  return e.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
}
