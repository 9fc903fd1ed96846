// A real redis-server (Debian's package) for the tests: its own free port on 127.0.0.1 (never
// 6379), its own temporary folder, nothing saved to disk — so a restart comes back empty, as a
// Redis without persistence does. Killed with its tests, whatever happens to them.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** @returns {Promise<number>} a port nobody listens on right now */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function redisServerPath() {
  try {
    return execFileSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error(
      "redis-server is not installed: `apt-get install -y redis-server` (Debian), then run again.",
    );
  }
}

/**
 * @typedef {object} RedisServer
 * @property {number} port
 * @property {string} url redis://127.0.0.1:<port>
 * @property {() => Promise<void>} stop kills it (SIGKILL: no goodbye to its clients)
 * @property {() => Promise<void>} start starts it again on the same port, empty
 * @property {() => Promise<void>} close stops it for good and removes its folder
 */

/** @returns {Promise<RedisServer>} */
export async function startRedis() {
  const binary = redisServerPath();
  const folder = mkdtempSync(join(tmpdir(), "edgetoken-redis-"));
  const port = await freePort();
  /** @type {import("node:child_process").ChildProcess | undefined} */
  let child;
  const killNow = () => child?.kill("SIGKILL");
  process.on("exit", killNow);

  async function start() {
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", folder];
    args.push("--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning");
    const started = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    child = started;
    let output = "";
    started.stdout?.on("data", (chunk) => {
      output += chunk;
    });
    started.stderr?.on("data", (chunk) => {
      output += chunk;
    });
    const exited = new Promise((resolve) => started.once("exit", resolve));
    // Ready when it answers PING on its port.
    for (let tries = 0; tries < 200; tries++) {
      if (started.exitCode !== null) throw new Error(`redis-server exited:\n${output}`);
      if (await answersPing(port)) return;
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 25))]);
    }
    throw new Error(`redis-server did not answer on port ${port}:\n${output}`);
  }

  async function stop() {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill("SIGKILL");
    await exited;
  }

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start,
    stop,
    async close() {
      await stop();
      process.off("exit", killNow);
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** @param {number} port */
async function answersPing(port) {
  const { connect } = await import("node:net");
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const done = (/** @type {boolean} */ ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => done(chunk.toString().startsWith("+PONG")));
  });
}
