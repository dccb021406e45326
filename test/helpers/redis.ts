/**
 * A private Redis for tests: Debian's redis-server (installed by the set-up) on a free loopback port with
 * its own temporary directory (AOF on, so a restart keeps the queue), stopped by the test.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

export const REDIS_SERVER = Bun.which("redis-server");

export interface TestRedis {
  url: string;
  port: number;
  /** The server's process id (changes on restart). */
  readonly pid: number;
  /** Stops the server (SIGTERM: it writes its data) and starts it again on the same port and directory. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

async function ping(port: number): Promise<boolean> {
  try {
    return await new Promise<boolean>((resolve) => {
      let done = false;
      const finish = (v: boolean, sock?: { end(): void }) => {
        if (done) return;
        done = true;
        sock?.end();
        resolve(v);
      };
      Bun.connect({
        hostname: "127.0.0.1", port,
        socket: {
          open(sock) { sock.write("PING\r\n"); },
          data(sock, d) { finish(d.toString().startsWith("+PONG"), sock); },
          error() { finish(false); },
          close() { finish(false); },
          connectError() { finish(false); },
        },
      }).catch(() => finish(false));
      setTimeout(() => finish(false), 1000);
    });
  } catch {
    return false;
  }
}

export async function startRedis(): Promise<TestRedis> {
  if (!REDIS_SERVER) throw new Error("redis-server is not installed (apt-get install redis-server)");
  const dir = mkdtempSync(join(tmpdir(), "av1gym-redis-"));
  const port = await freePort();
  let proc: Subprocess | null = null;
  const launch = async () => {
    proc = Bun.spawn(
      [REDIS_SERVER, "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--save", "",
        "--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning"],
      { stdout: "ignore", stderr: "ignore" },
    );
    for (let i = 0; i < 200; i++) {
      if (await ping(port)) return;
      await Bun.sleep(25);
    }
    throw new Error(`redis-server did not answer on port ${port}`);
  };
  const halt = async () => {
    const p = proc as Subprocess | null;
    proc = null;
    if (!p) return;
    p.kill("SIGTERM");
    await p.exited;
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    get pid() {
      return (proc as Subprocess | null)?.pid ?? 0;
    },
    async restart(downMs = 500) {
      await halt();
      await Bun.sleep(downMs);
      await launch();
    },
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
