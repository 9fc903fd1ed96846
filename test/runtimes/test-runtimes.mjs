// `npm run test:runtimes`: the packed package, installed in a fresh folder, runs the one smoke
// scenario under Node 22, Deno, Bun and headless Chromium; three Chromium tabs share a page
// token through edgetoken/browser (tabs.mjs); then the Deno KV store's tests run
// under Deno; then the packed `edgetoken` executable (cli.mjs) and every examples/ project
// against the emulator (examples.mjs). One line each — `runtime <name>: pass`, `cli: pass`,
// `example <name>: pass`, or `: fail` and the reason below; the exit code is non-zero when any
// failed. Everything listens on 127.0.0.1 and is closed.
import { realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "./child.mjs";
import { findChromium, runInChromium, smokePage } from "./chromium.mjs";
import { checkCli } from "./cli.mjs";
import { runExamples } from "./examples.mjs";
import { importMap } from "./import-map.mjs";
import { installPacked, temporaryFolder } from "./packed.mjs";
import { serveFolder } from "./static-server.mjs";
import { checkTabs } from "./tabs.mjs";

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const bin = (/** @type {string} */ name) => join(root, "node_modules", ".bin", name);
const SERVER_RUNTIME_TIMEOUT_MS = 60_000;
const BROWSER_TIMEOUT_MS = 120_000;

/** @typedef {(folder: string) => Promise<void>} Check throws with the reason */

/**
 * A child process that must exit 0 in time.
 *
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd: string, timeoutMs?: number }} options
 */
async function exitsCleanly(command, args, { cwd, timeoutMs = SERVER_RUNTIME_TIMEOUT_MS }) {
  const result = await run(command, args, { cwd, timeoutMs });
  if (result.timedOut) throw new Error(`timed out after ${timeoutMs / 1000} s\n${result.output}`);
  if (!result.ok) throw new Error(`exit code ${result.code}\n${result.output}`);
}

/** @type {Array<[string, Check]>} */
const RUNTIMES = [
  [
    "node",
    async (folder) => {
      const major = Number(process.versions.node.split(".")[0]);
      // npm scripts put node_modules/.bin first on PATH: the `node` devDependency, Node 22.
      if (major < 22) throw new Error(`Node ${process.version}: run through npm for Node 22`);
      await exitsCleanly(process.execPath, ["entry.js"], { cwd: folder });
    },
  ],
  [
    "deno",
    (folder) =>
      exitsCleanly(
        bin("deno"),
        [
          "run",
          "--no-config", // the folder's node_modules, not this repository's deno.json
          "--node-modules-dir=manual",
          "--no-lock",
          "--no-prompt",
          `--allow-read=${folder}`, // and nothing else: no network, no env
          "entry.js",
        ],
        { cwd: folder },
      ),
  ],
  ["bun", (folder) => exitsCleanly(bin("bun"), ["--no-install", "entry.js"], { cwd: folder })],
  ["chromium", inChromium],
  [
    "chromium-tabs",
    async (folder) => {
      const figures = await checkTabs({ executablePath: await findChromium(), folder });
      // The figures, indented, on stderr above the line that says pass.
      for (const line of figures) console.error(`    ${line}`);
    },
  ],
  [
    "deno-kv",
    () =>
      exitsCleanly(
        bin("deno"),
        [
          "test",
          "--unstable-kv",
          "--no-prompt",
          `--allow-read=${root},${tmpdir()}`,
          `--allow-write=${tmpdir()}`, // the database file several handles share
          join("test", "runtimes", "deno-kv.test.ts"),
          join("test", "runtimes", "deno-kv-lease.test.ts"),
        ],
        { cwd: root, timeoutMs: 120_000 },
      ),
  ],
  [
    "deno-kv-fleet",
    async () => {
      // The Deno KV store and lease in several Deno processes sharing one database file (the
      // test spawns them), against the TypeScript source; an emulator on 127.0.0.1.
      const deno = await realpath(bin("deno"));
      await exitsCleanly(
        deno,
        [
          "test",
          "--unstable-kv",
          "--no-prompt",
          `--allow-read=${root},${tmpdir()}`,
          `--allow-write=${tmpdir()}`,
          "--allow-net=127.0.0.1",
          `--allow-run=${deno}`,
          join("test", "runtimes", "deno-kv-fleet.test.ts"),
        ],
        { cwd: root, timeoutMs: 180_000 },
      );
    },
  ],
];

/** @type {Check} */
async function inChromium(folder) {
  const executablePath = await findChromium();
  const map = await importMap(folder, "edgetoken", [
    "edgetoken",
    "edgetoken/broker",
    "edgetoken/emulator",
    "edgetoken/redis",
    "edgetoken/browser",
  ]);
  const server = await serveFolder(folder, { "/": smokePage(map) });
  try {
    await runInChromium({
      executablePath,
      url: `${server.origin}/`,
      origin: server.origin,
      timeoutMs: BROWSER_TIMEOUT_MS,
    });
  } finally {
    await server.close();
  }
}

/** Indented, so a reason never reads as a runtime line. The harness's own stack is noise. */
function reason(/** @type {unknown} */ error) {
  const text = error instanceof Error ? error.message : String(error);
  return text
    .trimEnd()
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n");
}

async function main() {
  const folder = await temporaryFolder();
  let failed = 0;
  try {
    try {
      await installPacked(root, folder);
    } catch (error) {
      for (const [name] of RUNTIMES) console.log(`runtime ${name}: fail`);
      console.log(`cli: fail\nexample *: fail\n${reason(error)}`);
      return 1;
    }
    const report = (/** @type {string} */ line, /** @type {unknown} */ error) => {
      if (error === undefined) {
        console.log(`${line}: pass`);
      } else {
        failed += 1;
        console.log(`${line}: fail\n${reason(error)}`);
      }
    };
    for (const [name, check] of RUNTIMES) {
      try {
        await check(folder);
        report(`runtime ${name}`);
      } catch (error) {
        report(`runtime ${name}`, error ?? "failed");
      }
    }
    try {
      await checkCli(folder);
      report("cli");
    } catch (error) {
      report("cli", error ?? "failed");
    }
    await runExamples({ root, folder, bin }, (name, error) => report(`example ${name}`, error));
  } finally {
    if (process.env.KEEP_RUNTIMES_FOLDER === undefined) {
      await rm(folder, { recursive: true, force: true });
    } else {
      console.error(`kept ${folder}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
