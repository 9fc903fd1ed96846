// The examples/ projects as a user runs them: copied into the folder where the packed tarball
// was installed, pointed at the emulator — itself served by examples/emulator/serve.mjs from
// the package — and run under Node, Bun, Deno and `wrangler dev`. Each check throws with the
// reason. Everything listens on 127.0.0.1, on ports the system hands out, and is stopped.
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { chromium } from "playwright-core";
import { embeddedDevVars } from "../../scripts/embedded-default.ts";
import { run, startServer } from "./child.mjs";
import { CHROMIUM_ARGS, findChromium } from "./chromium.mjs";

const SERVER_TIMEOUT_MS = 60_000;
/** wrangler dev builds the Worker and starts workerd: slower on a busy two-core machine. */
const WRANGLER_TIMEOUT_MS = 120_000;

/** A port nothing listens on now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/**
 * @param {unknown} condition
 * @param {string} message
 * @returns {asserts condition}
 */
function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** @param {string} what @param {{ ok: boolean, output: string, timedOut: boolean }} result */
function exited(what, result) {
  if (result.timedOut) throw new Error(`${what} timed out\n${result.output}`);
  if (!result.ok) throw new Error(`${what} failed\n${result.output}`);
  return result;
}

/**
 * @param {string} url
 * @param {RequestInit} [init]
 */
async function answer(url, init) {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  return { status: response.status, text: await response.text() };
}

/**
 * A server example: started, asked, stopped whatever happens.
 *
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd: string, env: NodeJS.ProcessEnv, ready?: RegExp, timeoutMs?: number }} options
 * @param {(origin: string) => Promise<void>} use
 */
async function serving(command, args, options, use) {
  const port = await freePort();
  const server = startServer(command, args, {
    cwd: options.cwd,
    env: { ...options.env, PORT: String(port) },
    ready: options.ready ?? /listening on /,
    timeoutMs: options.timeoutMs ?? SERVER_TIMEOUT_MS,
  });
  try {
    await server.ready;
    await use(`http://127.0.0.1:${port}`);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    throw new Error(`${text}\n--- its output ---\n${server.output().slice(-3000)}`);
  } finally {
    server.stop();
  }
}

/**
 * Runs every example against one emulator; `report(name, error?)` is called once per example.
 *
 * @param {{ root: string, folder: string, bin: (name: string) => string }} where
 * @param {(name: string, error?: unknown) => void} report
 */
export async function runExamples({ root, folder, bin }, report) {
  const examples = join(folder, "examples");
  await cp(join(root, "examples"), examples, { recursive: true });
  const emulatorPort = await freePort();
  const emulator = startServer(process.execPath, ["emulator/serve.mjs"], {
    cwd: examples,
    env: { ...process.env, PORT: String(emulatorPort) },
    ready: /emulator on /,
    timeoutMs: SERVER_TIMEOUT_MS,
  });
  const EMULATOR = `http://127.0.0.1:${emulatorPort}`;
  const env = { ...process.env, EMULATOR_URL: EMULATOR };
  const calls = async () => JSON.parse((await answer(`${EMULATOR}/_emulator/calls`)).text);
  const reset = () =>
    answer(`${EMULATOR}/_emulator/reset`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });

  /** @type {Array<[string, () => Promise<void>]>} */
  const checks = [
    [
      "emulator/serve.mjs (node)",
      async () => {
        const index = await answer(`${EMULATOR}/`);
        check(index.status === 200, `GET / answered ${index.status}`);
        check(index.text.includes("/ipospays/"), "the index does not list the iPOSpays endpoints");
      },
    ],
    [
      "emulator/in-code.mjs (node)",
      async () => {
        const result = exited(
          "node in-code.mjs",
          await run(process.execPath, ["emulator/in-code.mjs"], {
            cwd: examples,
            timeoutMs: SERVER_TIMEOUT_MS,
          }),
        );
        check(
          result.stdout.includes("'POST /ipospays/v1/authenticate-token': 4"),
          `expected 4 generate calls (two 503s retried), got:\n${result.output}`,
        );
      },
    ],
    [
      "emulator/three-providers.mjs (node)",
      async () => {
        const result = exited(
          "node three-providers.mjs",
          await run(process.execPath, ["emulator/three-providers.mjs"], {
            cwd: examples,
            env,
            timeoutMs: SERVER_TIMEOUT_MS,
          }),
        );
        const lines = result.stdout.trim().split("\n");
        check(lines[0]?.startsWith("200 ") && result.stdout.includes("Successful"), result.output);
        check(lines.at(-2) === "200" && lines.at(-1) === "200", result.output);
      },
    ],
    [
      "node/backend.mjs (node)",
      () =>
        serving(process.execPath, ["node/backend.mjs"], { cwd: examples, env }, async (origin) => {
          await reset();
          for (const amount of [1250, 990]) {
            const paid = await answer(`${origin}/pay`, {
              method: "POST",
              body: JSON.stringify({ amount }),
            });
            check(paid.status === 200, `POST /pay answered ${paid.status}: ${paid.text}`);
            const body = JSON.parse(paid.text);
            check(body.iposhpresponse?.responseCode === "200", paid.text);
            check(body.iposhpresponse?.amount === amount, paid.text);
          }
          const refused = await answer(`${origin}/pay`, { method: "POST", body: '{"amount":-5}' });
          check(refused.status === 400, `a negative amount answered ${refused.status}`);
          const counted = await calls();
          check(
            counted["POST /ipospays/v1/authenticate-token"] === 1,
            `two payments, one token: ${JSON.stringify(counted)}`,
          );
        }),
    ],
    [
      "bun/server.ts (bun)",
      () =>
        serving(
          bin("bun"),
          ["--no-install", "bun/server.ts"],
          { cwd: examples, env },
          async (origin) => {
            const payments = await answer(`${origin}/payments`);
            check(payments.status === 200, `GET /payments answered ${payments.status}`);
            check(JSON.parse(payments.text).payments !== undefined, payments.text);
            check(
              (await answer(`${origin}/elsewhere`)).status === 404,
              "GET /elsewhere was not 404",
            );
          },
        ),
    ],
    ["deno/main.ts (deno)", () => denoExample(bin("deno"), examples, env)],
    [
      "deno/deploy.ts (deno, two processes)",
      () => denoDeployExample(bin("deno"), examples, env, { reset, calls }),
    ],
    ["workers-kv (wrangler dev)", () => workersExample(bin("wrangler"), examples, EMULATOR, calls)],
    [
      "browser (chromium, the broker under wrangler dev)",
      () =>
        browserExample({
          root,
          wrangler: bin("wrangler"),
          examples,
          emulator: EMULATOR,
          env,
          calls,
        }),
    ],
  ];
  try {
    await emulator.ready;
    for (const [name, example] of checks) {
      try {
        await example();
        report(name);
      } catch (error) {
        report(name, error);
      }
    }
  } catch (error) {
    for (const [name] of checks) report(name, error);
  } finally {
    emulator.stop();
  }
}

/**
 * Twice: the first run obtains the token from PaymentsGate and keeps it in Deno KV, the second
 * adopts it from there. Type-checked with Deno's own types (`--check`), in a Deno folder of its
 * own so the KV database is this run's.
 *
 * @param {string} deno
 * @param {string} examples
 * @param {NodeJS.ProcessEnv} env
 */
async function denoExample(deno, examples, env) {
  const denoDir = await mkdtemp(join(tmpdir(), "edgetoken-deno-"));
  try {
    const args = [
      "run",
      "--check",
      "--unstable-kv",
      "--no-config", // the folder's node_modules, not this repository's deno.json
      "--node-modules-dir=manual",
      "--no-lock",
      "--no-prompt",
      "--allow-net=127.0.0.1",
      "--allow-env",
      `--allow-read=${join(examples, "..")},${denoDir}`,
      `--allow-write=${denoDir}`,
      "deno/main.ts",
    ];
    const options = { cwd: examples, env: { ...env, DENO_DIR: denoDir }, timeoutMs: 120_000 };
    // Deno colours console.log whatever NO_COLOR says when FORCE_COLOR is set at all.
    const plain = stripVTControlCharacters;
    const first = exited("deno run main.ts", await run(deno, args, options));
    check(plain(first.stdout).includes("token from the provider"), first.output);
    check(/^200 .*created/m.test(plain(first.stdout)), first.output);
    const second = exited("deno run main.ts, again", await run(deno, args, options));
    check(plain(second.stdout).includes("token from the store"), `not adopted:\n${second.output}`);
    check(/^200 .*created/m.test(plain(second.stdout)), second.output);
  } finally {
    await rm(denoDir, { recursive: true, force: true });
  }
}

/**
 * Two processes of the Deno Deploy example, one Deno KV database (the same script, the same
 * Deno folder: `Deno.openKv()` opens one file), asked for pay-ins at the same moment, cold:
 * every one is paid, and PaymentsGate issues one token — the lease's holder's — for both.
 *
 * @param {string} deno
 * @param {string} examples
 * @param {NodeJS.ProcessEnv} env
 * @param {{ reset: () => Promise<unknown>, calls: () => Promise<Record<string, number>> }} emulator
 */
async function denoDeployExample(deno, examples, env, { reset, calls }) {
  const denoDir = await mkdtemp(join(tmpdir(), "edgetoken-deno-"));
  try {
    const args = [
      "run",
      "--check",
      "--unstable-kv",
      "--no-config", // the folder's node_modules, not this repository's deno.json
      "--node-modules-dir=manual",
      "--no-lock",
      "--no-prompt",
      "--allow-net=127.0.0.1",
      "--allow-env",
      `--allow-read=${join(examples, "..")},${denoDir}`,
      `--allow-write=${denoDir}`,
      "deno/deploy.ts",
    ];
    const options = { cwd: examples, env: { ...env, DENO_DIR: denoDir }, timeoutMs: 120_000 };
    await reset();
    await serving(deno, args, options, (first) =>
      serving(deno, args, options, async (second) => {
        const pay = (/** @type {string} */ origin, /** @type {number} */ amount) =>
          answer(`${origin}/payin`, { method: "POST", body: JSON.stringify({ amount }) });
        const paid = await Promise.all([
          pay(first, 1250),
          pay(second, 990),
          pay(first, 500),
          pay(second, 700),
        ]);
        for (const { status, text } of paid) {
          check(status === 200 && JSON.parse(text).status === "created", `${status} ${text}`);
        }
        const refused = await pay(first, -5);
        check(refused.status === 400, `a negative amount answered ${refused.status}`);
        const counted = await calls();
        check(
          counted["POST /paymentsgate/auth/token"] === 1 &&
            counted["POST /paymentsgate/auth/token/refresh"] === undefined,
          `two processes, four pay-ins, one token: ${JSON.stringify(counted)}`,
        );
      }),
    );
  } finally {
    await rm(denoDir, { recursive: true, force: true });
  }
}

/**
 * The Worker under `wrangler dev` with local KV: two payments, one auth call; its secrets in a
 * `.dev.vars` made from the committed example, its vars pointed at this run's emulator.
 *
 * @param {string} wrangler
 * @param {string} examples
 * @param {string} emulator
 * @param {() => Promise<Record<string, number>>} calls
 */
async function workersExample(wrangler, examples, emulator, calls) {
  const project = join(examples, "workers-kv");
  await cp(join(project, ".dev.vars.example"), join(project, ".dev.vars"));
  const inspector = await freePort();
  const port = await freePort();
  const before = (await calls())["POST /ipospays/v1/authenticate-token"] ?? 0;
  const server = startServer(
    wrangler,
    [
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(inspector),
      "--var",
      `IPOSPAYS_BASE_URL:${emulator}/ipospays`,
      "--var",
      `TRANSACT_URL:${emulator}/ipospays/api/v3/iposTransact`,
    ],
    {
      cwd: project,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" },
      ready: /Ready on http/,
      timeoutMs: WRANGLER_TIMEOUT_MS,
    },
  );
  try {
    await server.ready;
    for (const amount of [1250, 990]) {
      const paid = await answer(`http://127.0.0.1:${port}/`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ amount }),
      });
      check(paid.status === 200, `POST / answered ${paid.status}: ${paid.text}`);
      check(JSON.parse(paid.text).iposhpresponse?.amount === amount, paid.text);
    }
    const after = (await calls())["POST /ipospays/v1/authenticate-token"] ?? 0;
    check(after - before === 1, `two payments made ${after - before} auth calls`);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    throw new Error(`${text}\n--- wrangler dev ---\n${server.output().slice(-3000)}`);
  } finally {
    server.stop();
  }
}

/**
 * The broker from this repository under `wrangler dev` (it is not in the package: it is
 * deployed, not installed), pointed at this run's emulator, with the embedded default's
 * credentials from an env file of its own and state in a temporary folder.
 *
 * @param {string} root
 * @param {string} wrangler
 * @param {string} emulator
 * @param {(origin: string) => Promise<void>} use
 */
async function withBroker(root, wrangler, emulator, use) {
  const scratch = await mkdtemp(join(tmpdir(), "edgetoken-broker-"));
  const port = await freePort();
  const inspector = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  await writeFile(join(scratch, "env"), embeddedDevVars());
  await mkdir(join(scratch, "assets")); // no demo page here: the broker's endpoints only
  const vars = {
    ISSUER: origin,
    IPOSPAYS_BASE_URL: `${emulator}/ipospays`,
    IPOSPAYS_API_BASE_URL: `${emulator}/ipospays`,
    PAYMENTSGATE_BASE_URL: `${emulator}/paymentsgate`,
    PAPAYA_BASE_URL: `${emulator}/papaya`,
  };
  const server = startServer(
    wrangler,
    [
      "dev",
      "-c",
      join(root, "wrangler.toml"),
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(inspector),
      "--persist-to",
      join(scratch, "state"),
      "--env-file",
      join(scratch, "env"),
      "--assets",
      join(scratch, "assets"),
      ...Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
    ],
    {
      cwd: root,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" },
      ready: /Ready on http/,
      timeoutMs: WRANGLER_TIMEOUT_MS,
    },
  );
  try {
    await server.ready;
    await use(origin);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    throw new Error(`${text}\n--- the broker (wrangler dev) ---\n${server.output().slice(-3000)}`);
  } finally {
    server.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * examples/browser: its backend (Node) in front of the broker, its page in three Chromium tabs
 * of one origin. The tabs share one page token (one request to the backend's session endpoint
 * between them), each pays through the broker's proxy, and an amount of 0 is refused on the
 * page without a request.
 *
 * @param {{ root: string, wrangler: string, examples: string, emulator: string, env: NodeJS.ProcessEnv, calls: () => Promise<Record<string, number>> }} options
 */
async function browserExample({ root, wrangler, examples, emulator, env, calls }) {
  const executablePath = await findChromium();
  await withBroker(root, wrangler, emulator, (brokerUrl) =>
    serving(
      process.execPath,
      ["browser/backend.mjs"],
      { cwd: examples, env: { ...env, BROKER_URL: brokerUrl } },
      async (origin) => {
        const before = (await calls())["POST /ipospays/api/v3/iposTransact"] ?? 0;
        const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
        /** @type {string[]} */
        const problems = [];
        let sessions = 0;
        try {
          const context = await browser.newContext();
          const tabs = [];
          for (let i = 0; i < 3; i++) {
            const page = await context.newPage();
            page.setDefaultTimeout(30_000);
            page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
            page.on("console", (message) => {
              if (message.type() === "error") problems.push(`console: ${message.text()}`);
            });
            page.on("response", (response) => {
              if (response.status() >= 400)
                problems.push(`HTTP ${response.status()}: ${response.url()}`);
            });
            page.on("request", (request) => {
              if (!request.url().startsWith(`${origin}/`))
                problems.push(`left the backend: ${request.url()}`);
              if (new URL(request.url()).pathname === "/checkout/token") sessions += 1;
            });
            await page.goto(`${origin}/`);
            tabs.push(page);
          }
          for (const page of tabs) {
            await page.waitForFunction(() =>
              /s left/.test(document.getElementById("token")?.textContent ?? ""),
            );
          }
          check(
            sessions === 1,
            `three tabs made ${sessions} requests to /checkout/token, expected 1`,
          );
          for (const [i, page] of tabs.entries()) {
            const amount = 1000 + i;
            await page.fill("#amount", String(amount));
            await page.click("#submit");
            await page.waitForSelector('#result[data-state="ok"]');
            const text = (await page.textContent("#result")) ?? "";
            check(text.includes(`Successful: ${amount} cents`), `tab ${i + 1} paid: ${text}`);
          }
          const first = /** @type {import("playwright-core").Page} */ (tabs[0]);
          await first.fill("#amount", "0");
          await first.click("#submit");
          await first.waitForSelector('#result[data-state="error"]');
          const paid = ((await calls())["POST /ipospays/api/v3/iposTransact"] ?? 0) - before;
          check(paid === 3, `three payments reached the emulator ${paid} times`);
          check(sessions === 1, `${sessions} requests to /checkout/token after paying, expected 1`);
          check(problems.length === 0, problems.join("\n"));
        } catch (error) {
          const text = error instanceof Error ? error.message : String(error);
          throw new Error([text, ...problems].join("\n"));
        } finally {
          await browser.close();
        }
      },
    ),
  );
}
