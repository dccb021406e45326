import { expect, test } from "bun:test";
import { join } from "node:path";
import { native, lastError } from "../../src/native/ffi";
import { ABI_VERSION } from "../../src/native/abi";

test("the native library loads and reports its ABI", () => {
  expect(native().ag_abi_version()).toBe(ABI_VERSION);
  expect(ABI_VERSION).toBe(2);
  expect(typeof lastError()).toBe("string");
});

test("a missing library gives an error that says how to build it", async () => {
  const code = `
    import { native } from "./src/native/ffi";
    try { native(); console.log("loaded"); }
    catch (e) { console.log(e.constructor.name + "|" + e.code + "|" + e.message); }
  `;
  const proc = Bun.spawnSync(["bun", "-e", code], {
    cwd: join(import.meta.dir, "..", ".."),
    env: { ...process.env, AV1GYM_LIB: "/nonexistent/libav1gym.so" },
  });
  const out = proc.stdout.toString().trim();
  expect(out).toStartWith("NativeLibraryError|NATIVE_LIBRARY|");
  expect(out).toContain("scripts/build-svt.sh");
});
