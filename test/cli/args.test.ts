/** The CLI's option parser (src/cli/args.ts): what `av1gym vmaf` accepts and the errors it gives. */
import { expect, test } from "bun:test";
import { parseArgs } from "../../src/cli/args";
import { InvalidArgumentError } from "../../src/core/errors";

const OPTS = {
  ref: { type: "string" }, model: { type: "string", multiple: true }, quiet: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

test("strings, repeated strings, booleans, short and --name=value", () => {
  expect(parseArgs(["--ref", "a.yuv", "--model", "m1", "--model=m2", "--quiet", "-h"], OPTS)).toEqual({
    ref: "a.yuv", model: ["m1", "m2"], quiet: true, help: true,
  });
  expect(parseArgs([], OPTS)).toEqual({});
  expect(parseArgs(["--ref=-"], OPTS)).toEqual({ ref: "-" }); // "-" (stdin by convention) is a value
});

test("unknown options, missing values, values given to booleans and positionals are refused", () => {
  for (const [argv, msg] of [
    [["--bogus"], /unknown option --bogus/],
    [["-x"], /unknown option -x/],
    [["--ref"], /--ref needs a value/],
    [["--ref", "--quiet"], /--ref needs a value/],
    [["--quiet=yes"], /--quiet takes no value/],
    [["file.yuv"], /unexpected argument "file.yuv"/],
    [["--toString"], /unknown option --toString/],
  ] as const) {
    expect(() => parseArgs(argv, OPTS)).toThrow(InvalidArgumentError);
    expect(() => parseArgs(argv, OPTS)).toThrow(msg);
  }
});

test("the vmaf command reports a bad option with its usage and exit code 2", () => {
  const r = Bun.spawnSync(["bun", `${import.meta.dir}/../../src/cli/main.ts`, "vmaf", "--frames"], { stdout: "pipe", stderr: "pipe" });
  expect(r.exitCode).toBe(2);
  expect(r.stderr.toString()).toContain("--frames needs a value");
  expect(r.stderr.toString()).toContain("usage: av1gym vmaf");
});
