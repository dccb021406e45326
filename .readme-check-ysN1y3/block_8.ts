import { VmafScorer, scoreFiles, psnr, ssim, msSsim, vmafFeatures, type I420Frame } from "av1gym";
declare const ref: I420Frame, dis: I420Frame, prevRef: I420Frame, pairs: [I420Frame, I420Frame][]; // your frames
// two files (anything VideoReader opens; raw .yuv needs width/height/pixelFormat)
const r = scoreFiles("ref.y4m", "dis.mkv", { models: "vmaf_v0.6.1.json", psnr: true, json: "out.json", threads: 2 });
console.log(r.vmaf.mean, r.vmaf.harmonic_mean, r.pooled.psnr_y.mean);
// streaming, frame pairs as they come (motion2 needs the next frame: results trail by one)
const s = new VmafScorer({ width: 640, height: 272, models: ["vmaf_v0.6.1.json", "vmaf_v0.6.1neg.json"] });
for (const [ref, dis] of pairs) for (const f of s.push(ref, dis)) console.log(f.frameNum, f.vmaf, f.metrics["vmaf_v0.6.1neg"]);
for (const f of s.flush()) console.log(f.frameNum, f.vmaf);
s.close();
// one frame pair
psnr(ref, dis); ssim(ref, dis); msSsim(ref, dis); vmafFeatures(ref, dis, { prevRef });
