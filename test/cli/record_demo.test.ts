import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

test("record-demo: two cameras, two episodes, joined by stream copy; drops and the joined file's probe printed", async () => {
  const dir = mkdtempSync(join(tmpdir(), "av1gym-recdemo-"));
  try {
    const p = Bun.spawn(["bun", resolve(import.meta.dir, "../../src/cli/main.ts"), "record-demo", "--seconds", "1", "--dir", dir], { stdout: "pipe", stderr: "pipe" });
    const [code, out, err] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
    expect(code, err).toBe(0);
    const dropped = [...out.matchAll(/(\d+) frames, (\d+) dropped/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(dropped.length).toBe(4);
    for (const [frames, drops] of dropped) expect(frames! + drops!).toBe(30);
    const probes = out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
    expect(probes.length).toBe(2);
    probes.forEach((pr, k) => {
      const cam = dropped.filter((_, i) => i % 2 === k).reduce((a, [f]) => a + f!, 0);
      expect(pr).toMatchObject({ frames: cam, width: 640, height: 480, codec: "h264", hasAudio: false });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 300_000);
