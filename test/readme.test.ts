/**
 * Every ```ts block of the README type-checks against the public API: each block becomes a module that
 * imports from "av1gym" (the package's own name, resolved through package.json "exports"), and one
 * `tsc --noEmit` run checks them all. A canary block that imports a missing export runs in the same check
 * and must fail, so the test cannot pass by checking nothing.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");

/** One module to check: a README block, plus the blocks after it that continue it (no import of their own). */
interface Module {
  file: string;
  code: string[];
  /** For each part: README line of its first code line, and the module line it starts at. */
  parts: { readmeLine: number; moduleLine: number }[];
}

/** The README's ```ts blocks as modules: a block that imports nothing continues the one before it (as the
 * delta-QP hook block uses the encoder of the block above). */
export function readmeModules(markdown: string): Module[] {
  const modules: Module[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== "```ts") continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end]!.trim() !== "```") end++;
    const code = lines.slice(start, end);
    const last = modules.at(-1);
    const continues = last !== undefined && !code.some((l) => /^import\b/.test(l));
    const m: Module = continues ? last : { file: `block_${modules.length}.ts`, code: [], parts: [] };
    m.parts.push({ readmeLine: start + 1, moduleLine: m.code.length + 1 });
    m.code.push(...code);
    if (!continues) modules.push(m);
    i = end;
  }
  return modules;
}

/** README line of a module line. */
function readmeLine(m: Module, line: number): number {
  const part = m.parts.filter((p) => p.moduleLine <= line).at(-1)!;
  return part.readmeLine + line - part.moduleLine;
}

test("every TypeScript block of the README type-checks against the public API of \"av1gym\"", async () => {
  const modules = readmeModules(readFileSync(join(ROOT, "README.md"), "utf8"));
  expect(modules.length).toBeGreaterThanOrEqual(5);
  for (const m of modules) expect(m.code.join("\n")).toContain('from "av1gym"');
  // Inside the project, so "av1gym" resolves as a self-reference through package.json, as for a user.
  const dir = mkdtempSync(join(ROOT, ".readme-check-"));
  try {
    for (const m of modules) writeFileSync(join(dir, m.file), m.code.join("\n") + "\n");
    writeFileSync(join(dir, "canary.ts"), 'import { NoSuchExport } from "av1gym";\nconsole.log(NoSuchExport);\n');
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ extends: "../tsconfig.json", include: ["*.ts"] }));
    const proc = Bun.spawn(["bunx", "tsc", "--noEmit", "--pretty", "false", "-p", join(dir, "tsconfig.json")], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    const errors = (out + err).split("\n").filter((l) => /error TS\d+/.test(l));
    const canary = errors.filter((l) => l.includes("canary.ts"));
    expect(canary.join("\n")).toContain("TS2305"); // "has no exported member": the check sees missing exports
    // Point at README lines rather than temporary files.
    const readmeErrors = errors
      .filter((l) => !l.includes("canary.ts"))
      .map((l) => {
        const m = /(block_\d+\.ts)\((\d+),(\d+)\): (.*)/.exec(l);
        const mod = m && modules.find((x) => x.file === m[1]);
        return mod ? `README.md:${readmeLine(mod, Number(m![2]))}:${m![3]}: ${m![4]}` : l;
      });
    expect(readmeErrors).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 600_000); // one tsc over the blocks and src/: about 25 s, minutes on a loaded machine
