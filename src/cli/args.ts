/**
 * Command-line options for the commands whose start-up counts (`av1gym vmaf`): the part of node:util's
 * parseArgs they use (strict; string and boolean options, `multiple`, one-letter `short`, `--name=value`), with
 * the same result shape. Loading node:util costs about 14 ms of CPU in Bun, a tenth of a one-frame `vmaf` run.
 */
import { InvalidArgumentError } from "../core/errors";

export interface OptionSpec {
  type: "string" | "boolean";
  multiple?: boolean;
  short?: string;
}

type Value<S extends OptionSpec> = S["type"] extends "string" ? (S["multiple"] extends true ? string[] : string) : boolean;
export type ParsedArgs<O extends Record<string, OptionSpec>> = { [K in keyof O]?: Value<O[K]> };

/** Parses argv against options; unknown options, positionals and a missing value throw InvalidArgumentError. */
export function parseArgs<O extends Record<string, OptionSpec>>(argv: readonly string[], options: O): ParsedArgs<O> {
  const out: Record<string, string | string[] | boolean> = {};
  const byShort = new Map(Object.entries(options).filter(([, s]) => s.short).map(([n, s]) => [s.short!, n]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith("--") && arg.length > 2) {
      const eq = arg.indexOf("=");
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      if (eq >= 0) inline = arg.slice(eq + 1);
    } else if (/^-[^-]$/.test(arg)) {
      name = byShort.get(arg[1]!);
      if (name === undefined) throw new InvalidArgumentError(`unknown option ${arg}`);
    } else {
      throw new InvalidArgumentError(`unexpected argument "${arg}" (options start with --)`);
    }
    const spec = Object.hasOwn(options, name) ? options[name] : undefined;
    if (!spec) throw new InvalidArgumentError(`unknown option --${name}`);
    if (spec.type === "boolean") {
      if (inline !== undefined) throw new InvalidArgumentError(`option --${name} takes no value`);
      out[name] = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("-") && next.length > 1))
        throw new InvalidArgumentError(`option --${name} needs a value`);
      value = next;
      i++;
    }
    if (spec.multiple) ((out[name] ??= []) as string[]).push(value);
    else out[name] = value;
  }
  return out as ParsedArgs<O>;
}
