import { describe, expect, test } from "bun:test";
import { join } from "node:path";

/**
 * Probing touches device drivers (CUDA, VAAPI, QSV, V4L2): it runs in a child process, which must finish in
 * time and exit cleanly whatever the machine has.
 */
describe("hardware probe", () => {
  test("every candidate reported with a real reason; auto falls back to SVT-AV1; no hang, no crash", async () => {
    const child = Bun.spawn(["bun", "run", join(import.meta.dir, "hw_probe-child.ts")], { stdout: "pipe", stderr: "pipe" });
    const timer = setTimeout(() => child.kill(9), 60_000);
    const code = await child.exited;
    clearTimeout(timer);
    const err = await new Response(child.stderr).text();
    expect(code, err).toBe(0);
    const out = JSON.parse(await new Response(child.stdout).text());
    expect(out.results.map((r: { name: string }) => r.name)).toEqual([
      "h264_videotoolbox", "hevc_videotoolbox", "h264_nvenc", "hevc_nvenc", "h264_vaapi", "hevc_vaapi", "h264_qsv", "hevc_qsv", "h264_v4l2m2m",
    ]);
    for (const r of out.results) {
      expect(typeof r.compiledIn).toBe("boolean");
      if (!r.available) expect(r.reason.length).toBeGreaterThan(10);
      if (!r.compiledIn) expect(r.reason).toMatch(/not compiled into this libavcodec/);
    }
    expect(out.cached).toBe(true);
    // What auto chose is the first available hardware encoder, else AV1 through SVT-AV1.
    const first = out.results.find((r: { name: string; available: boolean }) => r.available && /^h264_(videotoolbox|nvenc|vaapi|qsv)$/.test(r.name));
    expect(out.auto).toBe(first ? first.name : "svt-av1");
    expect(out.packets).toBe(3);
  }, 90_000);
});
