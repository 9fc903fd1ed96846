// `npm start`: the broker (127.0.0.1:8787) and the provider emulator (127.0.0.1:8788) under
// `wrangler dev`, local KV and Durable Objects, no credentials, no internet. Ctrl-C stops both.
//
// What it prints is ours: a table of what runs where, the demo client, the next command to try.
// wrangler's own output (banners, binding tables, request lines) goes to .wrangler/logs/start.log,
// shown here only when something fails. No credential reaches the terminal: the provider keys
// are in .dev.vars, the demo client's secret in .wrangler/demo.netrc, which the curl reads.
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { DEMO_CLIENT, embeddedDevVars, WRITTEN_BY_START } from "./embedded-default.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const at = (path) => fileURLToPath(new URL(`../${path}`, import.meta.url));
/** A path as the person who typed `npm start` can paste it, from the folder they typed it in. */
const shown = (path) => relative(process.env.INIT_CWD ?? root, at(path)) || ".";

const LOG = ".wrangler/logs/start.log";
const NETRC = ".wrangler/demo.netrc";
const BROKER_STATE = ".wrangler/state";
const EMULATOR_STATE = ".wrangler/emulator-state";

const services = [
  {
    name: "emulator",
    port: 8788,
    inspector: 9230,
    // Its root answers an index of its endpoints and accounts once it is up.
    probe: "http://127.0.0.1:8788/",
    // Its own state folder: two workerd processes on one SQLite state lock each other out.
    args: ["-c", "emulator.wrangler.toml", "--persist-to", EMULATOR_STATE],
  },
  {
    name: "broker",
    port: 8787,
    inspector: 9229,
    probe: "http://127.0.0.1:8787/healthz",
    args: ["-c", "wrangler.toml", "--persist-to", BROKER_STATE],
  },
];

/** One line, then out: what went wrong and where to look. */
function fail(line, detail = []) {
  console.error(`\nnpm start: ${line}`);
  for (const text of detail) console.error(`  │ ${text}`);
  stop(1);
}

// Every port free before anything starts: a port taken is one sentence, not a wrangler stack.
for (const service of services) {
  for (const [port, what] of [
    [service.port, `the ${service.name}`],
    [service.inspector, `the ${service.name}'s inspector`],
  ]) {
    const problem = await new Promise((resolve) => {
      const server = createServer();
      server.once("error", (error) => resolve(error.code ?? String(error)));
      server.listen({ host: "127.0.0.1", port, exclusive: true }, () =>
        server.close(() => resolve(undefined)),
      );
    });
    if (problem !== undefined) {
      const why = problem === "EADDRINUSE" ? "is in use" : `cannot be bound (${problem})`;
      console.error(
        `npm start: port ${port} (${what}) ${why} — is another npm start running? Stop it or free the port; nothing was started.`,
      );
      process.exit(1);
    }
  }
}

// The demo checkout page (served by the broker at /demo/) is bundled first.
await import("./build-demo.mjs");

// The embedded default's credentials go to .dev.vars, whose values wrangler does not print
// (every [vars] value it does). A .dev.vars of your own is left alone.
const devVars = at(".dev.vars");
const own = existsSync(devVars) && !readFileSync(devVars, "utf8").startsWith(WRITTEN_BY_START);
if (!own) writeFileSync(devVars, embeddedDevVars(), { mode: 0o600 });
// The demo client's secret, where curl reads it (`--netrc-file`): not on a command line.
mkdirSync(at(".wrangler/logs"), { recursive: true });
writeFileSync(
  at(NETRC),
  `# Written by npm start: the embedded default's demo client (wrangler.toml, BROKER_CLIENTS).\nmachine 127.0.0.1 login ${DEMO_CLIENT.id} password ${DEMO_CLIENT.secret}\nmachine localhost login ${DEMO_CLIENT.id} password ${DEMO_CLIENT.secret}\n`,
  { mode: 0o600 },
);

const log = createWriteStream(at(LOG), { flags: "w" });
log.write(`# npm start, ${new Date().toISOString()}: wrangler's own output, both processes.\n`);
console.log(`starting the emulator and the broker (wrangler dev; its output: ${shown(LOG)}) …`);

const children = [];
let stopping = false;
let up = false;

/**
 * A signal to a child: wrangler's launcher passes SIGINT on to wrangler, which stops workerd.
 * The children stay in our process group, so Ctrl-C, or a kill of the group from outside (as
 * test/runtimes/demo.mjs does), reaches all of them at once too.
 */
function signal(child, name) {
  child.kill(name);
}

function stop(code) {
  if (stopping) return;
  stopping = true;
  const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
  for (const child of running) signal(child, "SIGINT");
  // wrangler stops workerd in a moment; whatever still runs after 5 s is killed.
  const force = setTimeout(() => {
    for (const child of running) signal(child, "SIGKILL");
  }, 5000);
  Promise.all(
    running.map(
      (child) =>
        new Promise((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) resolve();
          else child.once("exit", resolve);
        }),
    ),
  ).then(() => {
    clearTimeout(force);
    log.end(() => process.exit(code));
  });
}

process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are control characters.
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/** wrangler dev for one service: its output into the log, a promise that it answers. */
function launch(service) {
  const prefix = `[${service.name}] `;
  const lines = [];
  const child = spawn(
    "wrangler",
    [
      "dev",
      ...service.args,
      "--ip",
      "127.0.0.1",
      "--port",
      String(service.port),
      "--inspector-port",
      String(service.inspector),
    ],
    {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0", NO_COLOR: "1" },
    },
  );
  children.push(child);
  let announced;
  const announcedReady = new Promise((resolve) => {
    announced = resolve;
  });
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = "";
    stream.on("data", (chunk) => {
      buffered += chunk;
      const complete = buffered.split("\n");
      buffered = complete.pop() ?? "";
      for (const raw of complete) {
        const line = raw.replace(ANSI, "").trimEnd();
        log.write(`${prefix}${line}\n`);
        lines.push(line);
        if (lines.length > 200) lines.shift();
        if (line.includes("Ready on")) announced();
        // Once both are up, an error wrangler reports is worth a line here too.
        else if (up && /\[ERROR\]|Uncaught/.test(line)) console.error(`${prefix}${line}`);
      }
    });
  }
  child.on("error", (error) => {
    fail(`could not run wrangler for the ${service.name} (${error.message}); run npm ci first.`);
  });
  child.on("exit", (code, signal) => {
    if (stopping) return;
    const how = signal === null ? `with code ${code}` : `on ${signal}`;
    const error = lines.find((line) => /\[ERROR\]|Error:|EADDRINUSE/.test(line));
    const reason =
      error === undefined
        ? ""
        : `: ${error
            .replace(/^.*\[ERROR\]\s*/, "")
            .trim()
            .replace(/\.$/, "")}`;
    const when = up ? "stopped" : "stopped before it was ready";
    fail(
      `the ${service.name} (wrangler dev) ${when}, ${how}${reason}. Its output: ${shown(LOG)}`,
      lines.filter((line) => line.trim() !== "").slice(-15),
    );
  });
  return announcedReady.then(() => answering(service));
}

/** Polls the service's probe URL until it answers (wrangler says "Ready" a little early). */
async function answering(service) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      const response = await fetch(service.probe, { signal: AbortSignal.timeout(5000) });
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // Not yet.
    }
    if (attempt >= 100) throw new Error(`${service.probe} did not answer`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const deadline = setTimeout(() => {
  fail(`the broker and the emulator were not up after 120 s. wrangler's output: ${shown(LOG)}`);
}, 120_000);

try {
  await Promise.all(services.map(launch));
} catch (error) {
  if (!stopping) fail(`${error.message}. wrangler's output: ${shown(LOG)}`);
}
clearTimeout(deadline);
if (!stopping) {
  up = true;
  const rows = [
    ["broker", "http://127.0.0.1:8787/", "its endpoints at GET /; metadata at /.well-known/…"],
    ["emulator", "http://127.0.0.1:8788/", "iPOSpays, PaymentsGate, Papaya; GET / lists it all"],
    ["demo page", "http://127.0.0.1:8787/demo/", "a checkout page that holds no credential"],
    ["state", `${BROKER_STATE}/`, "the broker's KV and Durable Objects"],
    ["", `${EMULATOR_STATE}/`, "the emulator's keys and issued tokens"],
    [
      "client",
      `id "${DEMO_CLIENT.id}"`,
      `every emulated provider scope; secret in ${shown(NETRC)}`,
    ],
    [
      "secrets",
      shown(".dev.vars"),
      own ? "yours, left alone" : "the embedded default's provider keys (written by npm start)",
    ],
    ["logs", shown(LOG), "wrangler's own output"],
  ];
  const width = (column) => Math.max(...rows.map((row) => row[column].length));
  const table = rows
    .map(([what, where, note]) => `  ${what.padEnd(width(0))}  ${where.padEnd(width(1))}  ${note}`)
    .join("\n");
  console.log(`
edgetoken is running: the embedded default, no credentials of yours, no internet.

${table}

Try it: a broker token for the demo client (the curl reads its secret from ${shown(NETRC)})

  curl -s --netrc-file ${shown(NETRC)} -d grant_type=client_credentials \\
    -d scope=ipospays:PaymentTokenization http://127.0.0.1:8787/oauth/token

then the walkthrough: docs/broker.md, "A walkthrough with curl". Ctrl-C stops both.
`);
}
