/**
 * Open-time settings by name: builds an AgConfig (lib/core/config.c) from a plain object for one native open
 * call. Integers go as int64, other numbers as double, strings as UTF-8; the consumer (the C open function)
 * reports a key it does not know, naming it. The keys each consumer takes are AG_*_KEY_* in the public
 * header (src/native/abi.ts: SVT_KEY, READER_KEY).
 */
import type { Pointer } from "bun:ffi";
import { InvalidArgumentError } from "../core/errors";
import { check, checkHandle, native } from "./ffi";

export type ConfigValue = number | bigint | string | boolean;
export type ConfigEntries = Readonly<Record<string, ConfigValue | undefined>>;

/**
 * A NUL-terminated UTF-8 copy of a string (a path, a name, a setting) for C. A NUL inside would make C see a
 * shorter string, e.g. write to a truncated path without a word: refused with InvalidArgumentError.
 */
export function cString(s: string): Buffer {
  if (s.includes("\0"))
    throw new InvalidArgumentError(`${JSON.stringify(s)} contains a NUL character (C would see only ${JSON.stringify(s.slice(0, s.indexOf("\0")))})`);
  return Buffer.from(s + "\0", "utf8");
}

/** Calls `open` with a config holding `entries` (undefined values are left out), freeing it afterwards. */
export function withConfig<T>(entries: ConfigEntries, open: (config: Pointer) => T): T {
  const n = native();
  const cfg = checkHandle(n.ag_config_new() as Pointer | null, "config");
  try {
    for (const [key, value] of Object.entries(entries)) {
      if (value === undefined) continue;
      const k = cString(key);
      if (typeof value === "string") check(n.ag_config_set_str(cfg, k, cString(value)), `option ${key}`);
      else if (typeof value === "boolean") check(n.ag_config_set_int(cfg, k, value ? 1 : 0), `option ${key}`);
      else if (typeof value === "bigint" || Number.isSafeInteger(value)) check(n.ag_config_set_int(cfg, k, value), `option ${key}`);
      else if (typeof value === "number") check(n.ag_config_set_double(cfg, k, value), `option ${key}`);
      else throw new InvalidArgumentError(`option ${key}: ${typeof value} is not a setting (number, bigint, string or boolean)`);
    }
    return open(cfg);
  } finally {
    n.ag_config_free(cfg);
  }
}
