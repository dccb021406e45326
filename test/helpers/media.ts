/** ffprobe and ffmpeg's trace_headers as an independent reader of the files and bitstreams we write. */

export interface ProbedStream {
  codec: string;
  profile?: string;
  frames: number;
  rate: string;
  /** The stream's duration, else the container's (seconds); NaN when neither is known (raw streams). */
  duration: number;
  pixFmt?: string;
  /** Indices (decode order = presentation order here) of the frames ffprobe flags as key frames. */
  keyFrames: number[];
}

export function probe(path: string): ProbedStream {
  const p = Bun.spawnSync(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_frames", "-show_entries",
    "frame=key_frame:stream=codec_name,profile,r_frame_rate,duration,pix_fmt:format=duration", "-of", "json", path]);
  if (p.exitCode !== 0) throw new Error(`ffprobe failed on ${path}: ${p.stderr.toString()}`);
  const j = JSON.parse(p.stdout.toString());
  const s = j.streams[0];
  const frames = j.frames as { key_frame: number }[];
  return {
    codec: s.codec_name,
    profile: s.profile,
    frames: frames.length,
    rate: s.r_frame_rate,
    duration: Number(s.duration ?? j.format?.duration ?? NaN),
    pixFmt: s.pix_fmt,
    keyFrames: frames.flatMap((f, i) => (f.key_frame ? [i] : [])),
  };
}

/** Every syntax element ffmpeg's trace_headers prints for a file, in order: [name, value]. */
export function traceFields(path: string, format?: string): [string, number][] {
  const p = Bun.spawnSync(["ffmpeg", "-v", "trace", ...(format ? ["-f", format] : []), "-i", path, "-c", "copy", "-bsf:v", "trace_headers", "-f", "null", "-"]);
  if (p.exitCode !== 0) throw new Error(`trace_headers failed on ${path}: ${p.stderr.toString().slice(-400)}`);
  const out: [string, number][] = [];
  for (const line of p.stderr.toString().split("\n")) {
    const m = /trace_headers.*\]\s+\d+\s+(\S+)\s+[01]+ = (-?\d+)/.exec(line);
    if (m) out.push([m[1]!, Number(m[2])]);
  }
  return out;
}

/** The first value of each named field. */
export function firstFields(fields: [string, number][], names: string[]): Record<string, number> {
  const r: Record<string, number> = {};
  for (const [k, v] of fields) if (names.includes(k) && !(k in r)) r[k] = v;
  return r;
}

/** Decodes every frame to raw bytes of pixFmt; throws with ffmpeg's message on any decode error. */
export function decodeAll(path: string, pixFmt = "yuv420p"): Uint8Array {
  const p = Bun.spawnSync(["ffmpeg", "-v", "error", "-xerror", "-i", path, "-f", "rawvideo", "-pix_fmt", pixFmt, "-"]);
  if (p.exitCode !== 0 || p.stderr.length) throw new Error(`ffmpeg decode of ${path}: ${p.stderr.toString()}`);
  return new Uint8Array(p.stdout);
}

/** NAL unit types of each packet of an H.264/HEVC file, as trace_headers splits them (extradata left out). */
export function nalTypesPerPacket(path: string): number[][] {
  const p = Bun.spawnSync(["ffmpeg", "-v", "trace", "-i", path, "-c", "copy", "-bsf:v", "trace_headers", "-f", "null", "-"]);
  if (p.exitCode !== 0) throw new Error(`trace_headers failed on ${path}: ${p.stderr.toString().slice(-400)}`);
  const out: number[][] = [];
  for (const line of p.stderr.toString().split("\n")) {
    if (!line.includes("[trace_headers")) continue;
    if (line.includes("] Packet:")) out.push([]);
    const m = /\] nal_unit_type: (\d+)\(/.exec(line);
    if (m && out.length) out[out.length - 1]!.push(Number(m[1]));
  }
  return out;
}
