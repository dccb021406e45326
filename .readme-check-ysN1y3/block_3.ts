import { probeEncoders } from "av1gym";

for (const r of probeEncoders({ width: 1280, height: 720 }))
  console.log(r.name, r.compiledIn, r.available, r.reason);
