// Runs a command with a deadline: its own process group, killed whole when the time is up, so a
// hung runtime never outlives the harness.
import { spawn } from "node:child_process";

/**
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd?: string, timeoutMs: number, env?: NodeJS.ProcessEnv, input?: string }} options
 *   `input`: what the child reads on stdin (none: stdin is closed)
 * @returns {Promise<{ ok: boolean, code: number | null, stdout: string, stderr: string, output: string, timedOut: boolean }>}
 *   `output` is stdout and stderr interleaved
 */
export function run(command, args, { cwd, timeoutMs, env = process.env, input }) {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...env, NO_COLOR: "1", FORCE_COLOR: "0" },
      detached: true,
      stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    if (input !== undefined) child.stdin?.end(input);
    let output = "";
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      output += chunk;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve({
        ok: false,
        code: null,
        stdout,
        stderr,
        output: `${output}${error.message}\n`,
        timedOut,
      });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      // Whatever the child left running in its group goes with it.
      killGroup(child.pid);
      resolve({ ok: code === 0 && !timedOut, code, stdout, stderr, output, timedOut });
    });
  });
}

/** @param {number | undefined} pid */
function killGroup(pid) {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/**
 * A server started in its own process group: `ready` resolves once its output matches `ready`
 * (a line such as `listening on …`), and rejects if it exits or takes longer than `timeoutMs`.
 * `stop()` kills the whole group.
 *
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd?: string, env?: NodeJS.ProcessEnv, ready: RegExp, timeoutMs: number }} options
 */
export function startServer(command, args, { cwd, env = process.env, ready, timeoutMs }) {
  const child = spawn(command, args, {
    cwd,
    env: { ...env, NO_COLOR: "1", FORCE_COLOR: "0" },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const started = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`not ready after ${timeoutMs / 1000} s:\n${output.slice(-3000)}`));
    }, timeoutMs);
    const onData = (/** @type {Buffer} */ chunk) => {
      output += chunk;
      const match = ready.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before it was ready:\n${output.slice(-3000)}`));
    });
  });
  return {
    /** @type {Promise<RegExpExecArray>} */
    ready: started,
    output: () => output,
    stop: () => killGroup(child.pid),
  };
}
