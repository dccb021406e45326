/** Strings handed to C. */
import { InvalidArgumentError } from "./errors";

/**
 * A NUL-terminated UTF-8 copy of a path (or name) for C. A NUL inside would make C see a shorter string,
 * e.g. write to a truncated path without a word: refused, naming `what`.
 */
export function cString(s: string, what = "path"): Buffer {
  if (s.includes("\0"))
    throw new InvalidArgumentError(`${what} ${JSON.stringify(s)} contains a NUL character (C would see only ${JSON.stringify(s.slice(0, s.indexOf("\0")))})`);
  return Buffer.from(s + "\0", "utf8");
}
