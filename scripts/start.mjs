// `npm start`: the broker (127.0.0.1:8787) and the provider emulator (127.0.0.1:8788) under
// `wrangler dev`, local KV and Durable Objects, no credentials, no internet. Ctrl-C stops both.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { embeddedDevVars, WRITTEN_BY_START } from "./embedded-default.ts";

// The demo checkout page (served by the broker at /demo/) is bundled first.
await import("./build-demo.mjs");

// The embedded default's credentials go to .dev.vars, whose values wrangler does not print
// (every [vars] value it does). A .dev.vars of your own is left alone.
const devVars = new URL("../.dev.vars", import.meta.url);
const own = existsSync(devVars) && !readFileSync(devVars, "utf8").startsWith(WRITTEN_BY_START);
if (!own) writeFileSync(devVars, embeddedDevVars(), { mode: 0o600 });

const services = [
  {
    name: "emulator",
    url: "http://127.0.0.1:8788",
    args: [
      "dev",
      "-c",
      "emulator.wrangler.toml",
      "--ip",
      "127.0.0.1",
      "--port",
      "8788",
      "--inspector-port",
      "9230",
      // Its own state folder: two workerd processes on one SQLite state lock each other out.
      "--persist-to",
      ".wrangler/emulator-state",
    ],
  },
  {
    name: "broker",
    url: "http://127.0.0.1:8787",
    args: [
      "dev",
      "-c",
      "wrangler.toml",
      "--ip",
      "127.0.0.1",
      "--port",
      "8787",
      "--inspector-port",
      "9229",
    ],
  },
];

const children = [];
let stopping = false;

function stop(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill("SIGINT");
  setTimeout(() => process.exit(code), 2000).unref();
}

process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

const ready = services.map(
  (service) =>
    new Promise((resolve) => {
      const child = spawn("wrangler", service.args, {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
      });
      children.push(child);
      const prefix = `[${service.name}] `;
      const relay = (stream, out) => {
        let buffered = "";
        stream.on("data", (chunk) => {
          buffered += chunk;
          const lines = buffered.split("\n");
          buffered = lines.pop() ?? "";
          for (const line of lines) {
            // workers.cloudflare.com is out of reach offline; wrangler falls back by itself.
            if (
              /Request\.cf|ENOTFOUND workers\.cloudflare\.com|getaddrinfo|GetAddrInfoReqWrap/.test(
                line,
              )
            ) {
              continue;
            }
            out.write(`${prefix}${line}\n`);
            if (line.includes("Ready on")) resolve();
          }
        });
      };
      relay(child.stdout, process.stdout);
      relay(child.stderr, process.stderr);
      child.on("exit", (code) => {
        if (!stopping) {
          console.error(`${prefix}exited with ${code}; stopping.`);
          stop(code ?? 1);
        }
      });
    }),
);

await Promise.all(ready);
console.log(`
edgetoken is running (embedded default: no credentials, no internet)

  broker    http://127.0.0.1:8787   metadata: /.well-known/oauth-authorization-server
  emulator  http://127.0.0.1:8788   call counts: /_emulator/calls
  demo      http://127.0.0.1:8787/demo/   a checkout page that holds no credential
  client    id "demo", secret "demo-secret" (every emulated provider scope)
  secrets   ${own ? "your .dev.vars" : ".dev.vars (the embedded default's, written by npm start)"}

  curl -s -u demo:demo-secret -d grant_type=client_credentials \\
    -d scope=ipospays:PaymentTokenization http://127.0.0.1:8787/oauth/token

Ctrl-C stops both.
`);
