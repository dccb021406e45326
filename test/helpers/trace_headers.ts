/** Frame-header fields of an AV1 IVF file as FFmpeg's trace_headers bitstream filter reads them: an independent
 * parser to check what our encoder wrote. */
export interface TracedUnit {
  /** base_q_idx of the temporal unit's last frame header; null when it only shows an existing frame. */
  baseQIdx: number | null;
  /** segmentation_enabled of that frame header (null without one). */
  segmentation: number | null;
}

export function traceHeaders(path: string): TracedUnit[] {
  const p = Bun.spawnSync(["ffmpeg", "-v", "trace", "-i", path, "-c", "copy", "-bsf:v", "trace_headers", "-f", "null", "-"]);
  if (p.exitCode !== 0) throw new Error(`ffmpeg trace_headers failed on ${path}: ${p.stderr.toString().slice(-500)}`);
  const tus: TracedUnit[] = [];
  for (const line of p.stderr.toString().split("\n")) {
    if (!line.includes("trace_headers")) continue;
    if (line.includes("Temporal Delimiter")) tus.push({ baseQIdx: null, segmentation: null });
    const q = /base_q_idx\s+[01]+ = (\d+)/.exec(line);
    if (q) tus[tus.length - 1]!.baseQIdx = Number(q[1]);
    const s = /segmentation_enabled\s+[01]+ = (\d+)/.exec(line);
    if (s) tus[tus.length - 1]!.segmentation = Number(s[1]);
  }
  return tus;
}
