import { Av1Encoder, synthFrames, FEATURE, ANALYSIS_FEATURES } from "av1gym";

// One SVT-AV1 session: low delay is synchronous, one packet per frame; the IVF file plays in ffmpeg.
using enc = new Av1Encoder({
  width: 640, height: 272, fps: { num: 25, den: 1 },
  preset: 10, rateControl: { mode: "crf", crf: 35 },     // or cqp { qp }, vbr / cbr { bitrateKbps }
  predStructure: "low-delay", keyInt: -1, threads: 1,
  recon: true, output: "out.ivf",
});
for (const frame of synthFrames(640, 272, 50, 1)) {
  const [pkt] = enc.encode(frame);   // { data, pts, frameType, qindex, size, isKey, recon, sse, psnr }
  console.log(pkt.pts, pkt.frameType, pkt.qindex, pkt.size, pkt.psnr?.y.toFixed(2));
}
enc.flush();                         // random access: returns the pictures held back

// Per-64x64 qindex offsets (row-major, enc.sbRows x enc.sbCols, -255..255, at most 8 distinct values):
// enc.encode(frame, { qpOffsets: new Array(enc.sbRows * enc.sbCols).fill(0) });
enc.onDeltaQ((frameIndex, analysis, offsets) => {
  const F = ANALYSIS_FEATURES.length;
  for (let i = 0; i < analysis.rows * analysis.cols; i++) {
    const variance = analysis.data[i * F + FEATURE.lumaVariance];
    offsets[i] = variance < 50 ? -20 : variance > 2000 ? 20 : 0;  // spend bits on flat areas
  }
});
