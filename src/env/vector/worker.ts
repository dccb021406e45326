/**
 * A VectorEnv worker: owns one Env and answers the requests of protocol.ts. Steps go through the shared
 * same-step autoreset (autoreset.ts), so an ending episode costs no extra round trip.
 */
import { Env } from "../env";
import { check, native } from "../../native/ffi";
import { autoresetStep } from "./autoreset";
import { spacesInfo } from "./batch";
import { serializeError, type Reply, type Request } from "./protocol";

declare const self: Worker;

let env: Env | null = null;

function post(reply: Reply, transfer: ArrayBuffer[] = []): void {
  self.postMessage(reply, transfer);
}

self.onmessage = (ev: MessageEvent<Request>) => {
  const msg = ev.data;
  try {
    switch (msg.type) {
      case "init": {
        // Pin this thread (and so the encoder threads it starts) to one CPU: see VectorEnvOptions.pin.
        if (msg.cpu !== null) check(native().ag_env_pin_thread(msg.cpu), "VectorEnv worker");
        env = new Env(msg.options);
        post({ id: msg.id, type: "init", spaces: spacesInfo(env) });
        break;
      }
      case "reset": {
        const [obs, info] = env!.reset({ seed: msg.seed, options: msg.options });
        post({ id: msg.id, type: "reset", obs, info }, [obs.superblocks.buffer as ArrayBuffer, obs.frame.buffer as ArrayBuffer]);
        break;
      }
      case "step": {
        const { obs, reward, terminated, truncated, info } = autoresetStep(env!, msg.action);
        // Observation buffers move to the main thread (the final observation's too, when there is one).
        const transfer = [obs, info.finalObservation].flatMap((o) => (o ? [o.superblocks.buffer as ArrayBuffer, o.frame.buffer as ArrayBuffer] : []));
        post({ id: msg.id, type: "step", obs, reward, terminated, truncated, info }, transfer);
        break;
      }
      case "close": {
        env?.close();
        env = null;
        post({ id: msg.id, type: "close" });
        break;
      }
    }
  } catch (e) {
    post({ id: msg.id, type: "error", error: serializeError(e) });
  }
};
