/** The ffmpeg/ffprobe CLIs as an independent decoder for tests: what a user's player would see. */

/** Decodes a file to raw yuv420p bytes (all frames); throws with ffmpeg's message when it cannot. */
export function decodeToYuv(path: string): Uint8Array {
  const p = Bun.spawnSync(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"]);
  if (p.exitCode !== 0) throw new Error(`ffmpeg failed on ${path}: ${p.stderr.toString()}`);
  return new Uint8Array(p.stdout.buffer, p.stdout.byteOffset, p.stdout.byteLength);
}

/** Codec, decoded frame count and size of a file's first video stream, as ffprobe reports them. */
export function ffprobeFrames(path: string): { codec: string; frames: number; width: number; height: number } {
  const p = Bun.spawnSync([
    "ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
    "-show_entries", "stream=codec_name,nb_read_frames,width,height", "-of", "json", path,
  ]);
  const s = JSON.parse(p.stdout.toString()).streams[0];
  return { codec: s.codec_name, frames: Number(s.nb_read_frames), width: s.width, height: s.height };
}
