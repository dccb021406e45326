/**
 * `bun run bench`: runs every .bench.ts file below bench/ in its own process, one after the other (they all want both
 * cores), and passes their output through. Each prints one JSON object per line per measurement, with
 * `ours`, `peer` and `ratio` measured in the same run. `bun run bench <filter>` runs the files whose name
 * contains <filter>.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";

const filter = process.argv[2] ?? "";
const files = (readdirSync(import.meta.dir, { recursive: true }) as string[])
  .filter((f) => f.endsWith(".bench.ts") && f.includes(filter))
  .sort();
let failed = 0;
for (const f of files) {
  const proc = Bun.spawn(["bun", "run", join(import.meta.dir, f)], { stdout: "inherit", stderr: "inherit" });
  const code = await proc.exited;
  if (code !== 0) {
    failed++;
    // A line in the output too, so a reader of the JSON lines sees which file's measurements are missing.
    console.log(JSON.stringify({ bench: f, peer: null, error: `exited with code ${code} (its messages are above)` }));
  }
}
process.exit(failed ? 1 : 0);
