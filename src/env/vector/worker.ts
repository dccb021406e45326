/**
 * A VectorEnv worker: owns one Env and answers the requests of protocol.ts. Autoreset is same-step: when
 * a step ends the episode, the worker resets at once and returns the new episode's first observation,
 * with the final one in `info.finalObservation` (no extra round trip, no wasted step).
 */
import { Env } from "../env";
import { check, native } from "../../native/ffi";
import { serializeError, type AutoresetStepInfo, type Reply, type Request } from "./protocol";

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
        const obs = env.observationSpace.spaces;
        post({
          id: msg.id,
          type: "init",
          spaces: {
            sbRows: env.sbRows,
            sbCols: env.sbCols,
            numLevels: env.actionLevels.length,
            actionLevels: [...env.actionLevels],
            sbLow: obs.superblocks.low,
            sbHigh: obs.superblocks.high,
            frameLow: obs.frame.low,
            frameHigh: obs.frame.high,
          },
        });
        break;
      }
      case "reset": {
        const [obs, info] = env!.reset({ seed: msg.seed, options: msg.options });
        post({ id: msg.id, type: "reset", obs, info }, [obs.superblocks.buffer as ArrayBuffer, obs.frame.buffer as ArrayBuffer]);
        break;
      }
      case "step": {
        const [obs, reward, terminated, truncated, stepInfo] = env!.step(msg.action);
        const info: AutoresetStepInfo = stepInfo;
        let out = obs;
        const transfer = [obs.superblocks.buffer as ArrayBuffer, obs.frame.buffer as ArrayBuffer];
        if (terminated || truncated) {
          // Same-step autoreset: return the new episode's first observation, the final one in info.
          const [first, resetInfo] = env!.reset();
          info.finalObservation = obs;
          info.resetInfo = resetInfo;
          out = first;
          transfer.push(first.superblocks.buffer as ArrayBuffer, first.frame.buffer as ArrayBuffer);
        }
        post({ id: msg.id, type: "step", obs: out, reward, terminated, truncated, info }, transfer);
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
