/**
 * Run by test/native/leaks.test.ts under the ASan build with LeakSanitizer on (scripts/test-sanitized.sh --leaks --run):
 * every kind of native handle, on its success path and its error paths, opened, used and closed; then an
 * explicit leak check (Bun leaves through _exit, so LSan's at-exit check never runs in Bun). A round is done once
 * (one-time initialisation of libav and SVT-AV1 happens there), checked, done again and checked again:
 * anything still allocated that no global or stack refers to is reported on stderr by LSan, suppressions
 * (test/native/lsan.supp) applied, and the check's result printed as "leak check <n>: <0|1>".
 */
import { dlopen } from "bun:ffi";
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Av1Encoder } from "../../src/codec/av1_encoder";
import { VideoEncoder } from "../../src/codec/video_encoder";
import { VideoDecoder } from "../../src/codec/decoder";
import { codecStringOf } from "../../src/codec/codec_string";
import { IvfWriter } from "../../src/io/ivf";
import { VideoReader } from "../../src/io/reader";
import { VideoWriter } from "../../src/io/writer";
import { synthFrames } from "../../src/io/synth";
import { msSsim, psnr, ssim } from "../../src/metrics/metrics";
import { VmafScorer, defaultModelPath } from "../../src/metrics/vmaf";
import { VmafModel } from "../../src/metrics/vmaf_model";
import { Env } from "../../src/env/env";
import { native } from "../../src/native/ffi";

const asanLib = process.env.AV1GYM_ASAN_RUNTIME;
if (!asanLib) throw new Error("run me through: bash scripts/test-sanitized.sh --leaks --run test/native/leaks-child.ts");
const lsan = dlopen(asanLib, { __lsan_do_recoverable_leak_check: { returns: "int", args: [] } }).symbols;

const dir = mkdtempSync(join(tmpdir(), "av1gym-leaks-"));
const W = 64, H = 64;
const frames = [...synthFrames(W, H, 4, 1)];

/** Runs f and swallows the typed error it is meant to throw (an error path must free what it allocated). */
function fails(f: () => unknown) {
  try {
    f();
  } catch {
    return;
  }
  throw new Error(`expected an error from ${f.toString().slice(0, 80)}`);
}

function round(k: number) {
  // SVT-AV1: encode with a delta-QP hook, flush, IVF out; then its packets through the AV1 decoder
  const ivf = join(dir, `svt${k}.ivf`);
  const packets: Uint8Array[] = [];
  {
    using enc = new Av1Encoder({ width: W, height: H, preset: 12 });
    enc.onDeltaQ((_i, _a, offsets) => void offsets.fill(4));
    using out = new IvfWriter(ivf, { width: W, height: H, fps: { num: 30, den: 1 } });
    for (const f of frames) for (const p of enc.encode(f)) (out.write(p.data), packets.push(p.data));
    for (const p of enc.flush()) (out.write(p.data), packets.push(p.data));
    codecStringOf("av1", packets[0]!);
  }
  {
    using dec = new VideoDecoder({ codec: "av1", width: W, height: H });
    for (const p of packets) dec.decode(p);
    dec.flush();
  }
  // libavcodec encoders through the muxer: x264 into MP4 (avcC) and MKV, x265, libvpx-vp9 into WebM, libaom
  for (const [codec, ext, preset] of [["libx264", "mp4", "ultrafast"], ["libx264", "mkv", "ultrafast"], ["libx265", "mp4", "ultrafast"], ["libvpx-vp9", "webm", 8], ["libaom-av1", "mkv", 8]] as const) {
    const path = join(dir, `lavc${k}-${codec}.${ext}`);
    const w = new VideoWriter(path, { codec, width: W, height: H, preset, latency: "low" });
    for (const f of frames) w.write(f);
    if (w.encoder.extradata && ext === "mp4") codecStringOf(codec === "libx264" ? "h264" : "hevc", w.encoder.extradata);
    w.close();
    // read back: sequential, random access, RGB, 8-bit conversion
    {
      using r = new VideoReader(path);
      for (const _ of r.frames()) void _;
      r.frame(r.frameCount - 1), r.frame(0);
    }
    {
      using r = new VideoReader(path, { format: "rgb24", threads: 2 });
      r.frame(1);
    }
  }
  {
    using r = new VideoReader(ivf);
    r.frame(2), r.frame(0);
  }
  // raw input
  const raw = join(dir, `raw${k}.yuv`);
  writeFileSync(raw, Buffer.concat(frames.map((f) => Buffer.concat([f.y, f.u, f.v].map((p) => new Uint8Array(p.buffer, p.byteOffset, p.byteLength))))));
  {
    using r = new VideoReader(raw, { width: W, height: H });
    r.frame(3);
  }
  // error paths: missing file, not a video, truncated container, bad raw geometry, bad encoder option,
  // bad decoder codec, model file that is not a model
  fails(() => new VideoReader(join(dir, "missing.mp4")));
  writeFileSync(join(dir, "text.mp4"), "not a video at all\n".repeat(20));
  fails(() => new VideoReader(join(dir, "text.mp4")));
  const mp4 = readFileSync(join(dir, `lavc${k}-libx264.mp4`));
  writeFileSync(join(dir, "cut.mp4"), mp4.subarray(0, mp4.length >> 1));
  try {
    using r = new VideoReader(join(dir, "cut.mp4"));
    for (const _ of r.frames()) void _;
  } catch {
    /* truncated: an error is fine, a leak is not */
  }
  fails(() => new VideoReader(raw, { width: W + 1000, height: H, pixelFormat: "nope" }));
  fails(() => new VideoEncoder({ codec: "libx264", width: W, height: H, options: { "no-such-option": "1" } }));
  fails(() => new VideoDecoder({ codec: "no-such-codec", width: W, height: H }));
  writeFileSync(join(dir, "model.json"), JSON.stringify({ model_dict: { model_type: "LIBSVMNUSVR", model: "svm_type nu_svr\nSV\n1 1:x" } }));
  fails(() => VmafModel.load(join(dir, "model.json")));
  fails(() => new Env({ source: { path: join(dir, "text.mp4") }, encoder: { preset: 12 } }).reset());
  // metrics: VMAF through the scorer with its own model, PSNR, SSIM, MS-SSIM
  {
    using model = VmafModel.load(defaultModelPath());
    using s = new VmafScorer({ width: W, height: H, models: model, threads: 2, psnr: true, ssim: true });
    for (let i = 0; i < 3; i++) s.push(frames[i]!, frames[i + 1]!);
    s.flush();
  }
  psnr(frames[0]!, frames[1]!), ssim(frames[0]!, frames[1]!), msSsim(frames[0]!, frames[1]!);
  // the RL environment: an episode on a synthetic source
  {
    using env = new Env({ source: { synth: { width: W, height: H, frames: 4 } }, encoder: { preset: 12 } });
    env.reset({ seed: k });
    const a = new Int8Array(env.sbRows * env.sbCols);
    for (;;) {
      const [, , term, trunc] = env.step(a);
      if (term || trunc) break;
    }
  }
}

try {
  round(0);
  Bun.gc(true);
  console.log(`leak check 1: ${lsan.__lsan_do_recoverable_leak_check()}`);
  round(1); // a second use: what a global overwritten on reuse loses shows only now
  Bun.gc(true);
  console.log(`leak check 2: ${lsan.__lsan_do_recoverable_leak_check()}`);
  // the detector itself: a config handle never freed must be reported (else the checks above prove nothing)
  native().ag_config_new();
  console.log(`leak check 3: ${lsan.__lsan_do_recoverable_leak_check()}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
