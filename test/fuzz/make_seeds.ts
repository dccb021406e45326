// Writes the seed inputs our own code produces (run once; the outputs are committed under test/fuzz/corpus/):
// an IVF from our SVT-AV1 session (ivf/ and its temporal units, joined by the fuzz_obu marker, for obu/), and
// VMAF model numbers from the shipped model in fuzz_vmaf_model's byte layout.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Av1Encoder, synthFrames } from "../../src/index";

const dir = join(import.meta.dir, "corpus");
const tmp = join(dir, "ivf", "svt_64x64.ivf");
for (const dirName of ["ivf", "obu", "vmaf_model"]) mkdirSync(join(dir, dirName), { recursive: true });
{
  using enc = new Av1Encoder({ width: 64, height: 64, preset: 12, keyInt: 3, output: tmp });
  for (const f of synthFrames(64, 64, 4, 1)) enc.encode(f);
  enc.flush();
}
const ivf = readFileSync(tmp);
const units: Buffer[] = [];
for (let at = 32; at + 12 <= ivf.length; ) {
  const len = ivf.readUInt32LE(at);
  units.push(ivf.subarray(at + 12, at + 12 + len));
  at += 12 + len;
}
writeFileSync(join(dir, "obu", "svt_tus"), Buffer.concat(units.flatMap((u, i) => (i ? [Buffer.from("\xffAGTU", "latin1"), u] : [u]))));
writeFileSync(join(dir, "obu", "svt_first_tu"), units[0]!);

// vmaf_v0.6.1 with its first 2 support vectors: n_sv, sv, coef, slopes/intercepts interleaved, gamma, rho, clip, features
const md = JSON.parse(readFileSync(join(import.meta.dir, "..", "..", "models", "vmaf_v0.6.1.json"), "utf8")).model_dict;
const lines: string[] = md.model.split("\n");
const g = Number(lines.find((l) => l.startsWith("gamma"))!.split(/\s+/)[1]);
const rho = Number(lines.find((l) => l.startsWith("rho"))!.split(/\s+/)[1]);
const svLines = lines.slice(lines.indexOf("SV") + 1, lines.indexOf("SV") + 3);
const sv: number[] = [], coef: number[] = [];
for (const l of svLines) {
  const [c, ...kv] = l.trim().split(/\s+/);
  coef.push(Number(c));
  const row = [0, 0, 0, 0, 0, 0];
  for (const p of kv) row[Number(p.split(":")[0]) - 1] = Number(p.split(":")[1]);
  sv.push(...row);
}
const nums = [...sv, ...coef, ...md.slopes.flatMap((s: number, i: number) => [s, md.intercepts[i]]), g, rho, 0, 100, 0.9, 3, 0.8, 0.6, 0.5, 0.4];
writeFileSync(join(dir, "vmaf_model", "v061_2sv"), Buffer.concat([Buffer.from([2]), Buffer.from(new Float64Array(nums).buffer)]));
