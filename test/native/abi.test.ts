import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { generate, HEADER, OUTPUT } from "../../scripts/gen-abi";
import { METRICS_LIBRARY_PATH, METRICS_SYMBOLS, metricsNative, native } from "../../src/native/ffi";
import { AF, SYMBOLS, SVT_KEY } from "../../src/native/abi";
import { ANALYSIS_FEATURES } from "../../src/analysis/analysis";
import { withConfig } from "../../src/native/config";
import { InvalidArgumentError } from "../../src/core/errors";

const ROOT = join(import.meta.dir, "..", "..");

test("src/native/abi.ts is what scripts/gen-abi.ts makes of the public header (run it after changing the header)", () => {
  expect(readFileSync(OUTPUT, "utf8")).toBe(generate(readFileSync(HEADER, "utf8")));
});

test("the generator maps enums, keys and signatures, and refuses what bun:ffi cannot take", () => {
  const out = generate(`
    #define AG_ABI_VERSION 7
    enum { AG_X_A = 0, AG_X_B, AG_X_COUNT };
    #define AG_FOO_KEY_BAR "bar"
    AG_API int32_t ag_f(const char *s, int64_t n, double *out, int32_t out_len);
    AG_API const char *ag_g(void);`);
  expect(out).toContain("export const ABI_VERSION = 7;");
  expect(out).toContain("export const X = {\n  A: 0,\n  B: 1,\n  COUNT: 2,\n}");
  expect(out).toContain('BAR: "bar"');
  expect(out).toContain('ag_f: { args: ["ptr", "i64", "ptr", "i32"], returns: "i32" }');
  expect(out).toContain('ag_g: { args: [], returns: "cstring" }');
  expect(() => generate("AG_API int ag_h(long x);")).toThrow("no bun:ffi type");
});

test("the public header uses int32_t, not int or long, in every exported signature", () => {
  const header = readFileSync(HEADER, "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
  const decls = header.match(/AG_API[^;]*;/g)!.filter((d) => !d.includes("__attribute__"));
  expect(decls.length).toBe(Object.keys(SYMBOLS).length);
  for (const d of decls) expect(d).not.toMatch(/\b(int|long|unsigned)\b/);
});

test("every symbol of the generated table is exported by the built library", () => {
  const lib = native();
  for (const name of Object.keys(SYMBOLS)) expect(typeof (lib as Record<string, unknown>)[name]).toBe("function");
  // the internals stay hidden
  const nm = Bun.spawnSync(["nm", "-D", "--defined-only", join(ROOT, "lib", "build", "libav1gym.so")]).stdout.toString();
  const exported = nm.split("\n").map((l) => l.split(" ").pop()!).filter((n) => n.startsWith("ag_"));
  expect(exported.sort()).toEqual(Object.keys(SYMBOLS).sort());
});

test("the metrics library exports its part of the table and needs neither libav nor SVT-AV1", () => {
  const lib = metricsNative();
  for (const name of Object.keys(METRICS_SYMBOLS)) expect(typeof (lib as Record<string, unknown>)[name]).toBe("function");
  const nm = Bun.spawnSync(["nm", "-D", "--defined-only", METRICS_LIBRARY_PATH]).stdout.toString();
  const exported = nm.split("\n").map((l) => l.split(" ").pop()!).filter((n) => n.startsWith("ag_"));
  // lib/core's thread helpers come along (vmaf.c uses them); nothing outside the public table
  for (const n of exported) expect(Object.keys(SYMBOLS)).toContain(n);
  const needed = Bun.spawnSync(["readelf", "-d", METRICS_LIBRARY_PATH]).stdout.toString().match(/\(NEEDED\).*\[(.*)\]/g) ?? [];
  expect(needed.length).toBeGreaterThan(0);
  for (const n of needed) expect(n).not.toMatch(/libav|libsw|Svt/);
});

test("the TS feature table has the C analysis layout", () => {
  expect(ANALYSIS_FEATURES.length).toBe(AF.COUNT);
  expect(ANALYSIS_FEATURES.indexOf("mvX")).toBe(AF.MV_X);
  expect(ANALYSIS_FEATURES.indexOf("gradient")).toBe(AF.GRADIENT);
});

test("config handles: an unknown key, a wrong type or a bad value is an error naming the key", () => {
  const open = (cfg: Record<string, number | string | undefined>) =>
    withConfig(cfg, (c) => {
      const h = native().ag_encoder_open(c);
      if (h) native().ag_encoder_close(h);
      return h ? "opened" : String(native().ag_last_error());
    });
  // rejected before SVT-AV1 is touched, so safe in-process
  expect(open({ [SVT_KEY.WIDTH]: 320, [SVT_KEY.HEIGHT]: 192, presset: 4 })).toBe('the SVT-AV1 encoder has no option "presset"');
  expect(open({ [SVT_KEY.WIDTH]: 320, [SVT_KEY.HEIGHT]: 192, [SVT_KEY.PRESET]: 2.5 })).toBe("option preset must be an integer, got a number");
  expect(open({ [SVT_KEY.WIDTH]: 320, [SVT_KEY.HEIGHT]: 192, [SVT_KEY.RC]: 3 })).toBe("option rc must be a string, got an integer");
  expect(open({ [SVT_KEY.WIDTH]: 320, [SVT_KEY.HEIGHT]: 192, [SVT_KEY.RC]: "abr" })).toBe('option rc is "abr", expected one of "crf", "cqp", "vbr", "cbr"');
  const n = native();
  const c = n.ag_config_new()!;
  try {
    expect(n.ag_config_set_int(c, Buffer.from("\0"), 1)).toBe(-1); // empty key
    expect(n.ag_config_set_int(c, Buffer.from("k".repeat(64) + "\0"), 1)).toBe(-1);
    expect(n.ag_config_set_double(c, Buffer.from("x\0"), NaN)).toBe(-1);
    expect(n.ag_config_set_str(c, Buffer.from("x\0"), null)).toBe(-1);
    expect(n.ag_config_set_str(c, Buffer.from("x\0"), Buffer.from("ok\0"))).toBe(0);
  } finally {
    n.ag_config_free(c);
  }
  expect(() => withConfig({ x: {} as unknown as string }, () => 0)).toThrow(InvalidArgumentError);
});

test("the reader takes its settings by name too", () => {
  const r = withConfig({ output: "yuv420p", threds: 2 }, (c) => native().ag_reader_open(Buffer.from(join(ROOT, "package.json") + "\0"), c));
  expect(r).toBeNull();
  expect(String(native().ag_last_error())).toBe('the reader has no option "threds"');
});

test("one error table: every AG_E_* code has its class, AG_E_EOF included; an unknown code is an InternalError", async () => {
  const { AG } = await import("../../src/native/abi");
  const e = await import("../../src/core/errors");
  const want: Record<string, unknown> = {
    E_INVALID: e.InvalidArgumentError, E_IO: e.FileError, E_FORMAT: e.FormatError, E_RANGE: e.OutOfRangeError,
    E_ENCODER: e.EncoderError, E_NOMEM: e.OutOfMemoryError, E_CALLBACK: e.CallbackError, E_STATE: e.StateError,
    E_EOF: e.EndOfStreamError,
  };
  const codes = Object.keys(AG).filter((k) => k !== "OK");
  expect(codes.sort()).toEqual(Object.keys(want).sort()); // a new code in the header must be mapped here
  for (const k of codes) {
    const err = e.errorFromCode(AG[k as keyof typeof AG], "msg");
    expect(err).toBeInstanceOf(want[k] as new () => Error);
    expect(err.message).toBe("msg");
  }
  const unknown = e.errorFromCode(-42, "odd");
  expect(unknown).toBeInstanceOf(e.InternalError);
  expect(unknown).not.toBeInstanceOf(e.FormatError);
  expect(unknown.message).toContain("-42");
});
