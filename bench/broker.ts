/**
 * The broker's throughput under `wrangler dev` — token endpoint (client_credentials),
 * introspection, and the proxy (an iPOSpays Transact POST) — beside a trivial Worker that returns
 * fixed JSON, in the same runtime on the same machine. autocannon, 25 connections; interleaved
 * rounds, medians of requests per second. Every server is on 127.0.0.1 on ports of its own (never
 * 8787/8788), with state in a temporary folder; the benchmark client has a rate limit far above
 * what one machine can send.
 *
 * The proxy's provider API is an instant upstream (bench/support/instant-upstream.ts: a
 * `node:http` server answering Transact's JSON at once, in a process of its own), so the ratio
 * measures the broker and not the emulator; the provider's auth calls still go to the emulator.
 * `BENCH_PROXY_EMULATOR=1` also measures the proxy through to the emulator's Transact, as before.
 *
 * - `BENCH_VARIANTS=name=dir,…`: more brokers from other folders with src/, worker/ and scripts/
 *   (experiments), measured in the same rounds as `token:name`, `introspect:name`, `proxy:name`.
 * - `BENCH_TARGETS=trivial,token,…`: measure only these (the names in `samples`).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import autocannon from "autocannon";
import { EMBEDDED_DEFAULT_SECRETS } from "../scripts/embedded-default.ts";
import { baselineRoot, ROOT } from "./support/baseline.ts";
import { interleaved, median } from "./support/rounds.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 25;
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");

export interface BrokerRps {
  tokenRps: number;
  introspectRps: number;
  proxyRps: number;
}

export interface BrokerResult extends BrokerRps {
  trivialRps: number;
  /**
   * The proxy's upstream alone: the instant upstream called directly with the same request. The
   * proxy cannot be faster than what it forwards to.
   */
  upstreamRps: number;
  /** What the proxy's upstream is, in words. */
  upstream: string;
  /** The same three for the baseline commit's broker, in the same rounds (`BENCH_BASELINE`). */
  baseline: BrokerRps | null;
  /** The same three for each of `BENCH_VARIANTS`. */
  variants: Record<string, BrokerRps>;
  /**
   * With `BENCH_PROXY_EMULATOR=1`: the proxy through to the emulator's Transact, and that
   * Transact called directly with the provider's token.
   */
  viaEmulator: { proxyRps: number; upstreamRps: number } | null;
  /** Requests per second in every round, and non-2xx answers seen (there should be none). */
  samples: Record<string, number[]>;
  errors: Record<string, number>;
  /**
   * CPU µs per request, median over rounds, by target and `server:program` (the servers'
   * process groups: wrangler's Node and workerd) and `autocannon` (this process).
   */
  cpuUs: Record<string, Record<string, number>>;
  /**
   * CPU µs per request spent by the servers that answer it — the target's wrangler (Node) and
   * workerd, and for the proxy its upstream — median over rounds. Not the esbuild watchers, not
   * autocannon, not the servers that sat idle: what the request itself cost.
   */
  serverCpuUs: Record<string, number>;
  /**
   * The trivial Worker's `serverCpuUs` ÷ each target's: the throughput ratio a machine with
   * nothing else to do would show once CPU-bound. It holds when other work shares the cores,
   * where req/s follow whatever share of them the benchmark gets.
   */
  cpuRatio: Record<string, number>;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.unref();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

const CLIENT = { id: "bench", secret: "bench-secret-5f0c2a9e7d1b3c4a6e8f" };

function secretHash(secret: string): string {
  return `sha256:${createHash("sha256").update(secret).digest("base64url")}`;
}

export function brokerToml(
  root: string,
  brokerPort: number,
  emulatorPort: number,
  apiBase: string,
): string {
  const emulator = `http://127.0.0.1:${emulatorPort}`;
  const clients = [
    {
      id: CLIENT.id,
      secretHash: secretHash(CLIENT.secret),
      scopes: ["ipospays:PaymentTokenization", "papaya:payments"],
      audiences: ["edgetoken-demo"],
      maxLifetime: 900,
      providerTokens: true,
      // Far above what one machine can send: the limiter is measured, never met.
      rateLimit: { requests: 1_000_000, windowSeconds: 1 },
    },
  ];
  return `name = "edgetoken-broker-bench"
main = ${JSON.stringify(join(root, "worker", "index.ts"))}
compatibility_date = "2026-11-01"
send_metrics = false
# As wrangler.toml deploys it.
minify = true
keep_names = false

[[kv_namespaces]]
binding = "TOKENS"
id = "edgetoken-bench-tokens"

[[durable_objects.bindings]]
name = "RATE_LIMITER"
class_name = "RateLimiter"

[[durable_objects.bindings]]
name = "TOKEN_LEASES"
class_name = "TokenLeaseObject"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["RateLimiter"]

[[migrations]]
tag = "v2"
new_sqlite_classes = ["TokenLeaseObject"]

[vars]
ISSUER = "http://127.0.0.1:${brokerPort}"
DEMO_CLIENT_ID = ""
BROKER_AUDIENCE = "edgetoken-demo"
BROKER_CLIENTS = ${JSON.stringify(JSON.stringify(clients))}
PAYMENTSGATE_ACCOUNT_ID = "00000000-0000-4000-8000-000000000001"
IPOSPAYS_BASE_URL = "${emulator}/ipospays"
IPOSPAYS_API_BASE_URL = "${apiBase}"
PAYMENTSGATE_BASE_URL = "${emulator}/paymentsgate"
PAPAYA_BASE_URL = "${emulator}/papaya"
`;
}

function trivialToml(): string {
  return `name = "edgetoken-trivial-bench"
main = ${JSON.stringify(join(ROOT, "bench", "trivial-worker.ts"))}
compatibility_date = "2026-11-01"
send_metrics = false
`;
}

interface Server {
  name: string;
  child: ChildProcess;
  url: string;
}

/** `wrangler dev` on `port`, resolved once it says it is ready. */
async function wranglerDev(name: string, config: string, port: number, state: string) {
  const inspector = await freePort();
  const child = spawn(
    WRANGLER,
    [
      "dev",
      "-c",
      config,
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(inspector),
      "--persist-to",
      state,
      "--log-level",
      "warn",
    ],
    {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited: ${output}`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(2_000) });
      return { name, child, url };
    } catch {
      if (Date.now() > deadline) throw new Error(`${name} did not start: ${output}`);
      await new Promise((done) => setTimeout(done, 500));
    }
  }
}

/** The instant upstream in a process of its own, resolved once it listens. */
async function instantUpstream(port: number): Promise<Server> {
  const child = spawn(
    process.execPath,
    [join(ROOT, "bench", "support", "instant-upstream.ts"), String(port)],
    { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"], detached: true },
  );
  await new Promise<void>((done, fail) => {
    child.once("exit", (code) => fail(new Error(`instant upstream exited (${code})`)));
    child.stdout?.once("data", () => done());
  });
  return { name: "instant upstream", child, url: `http://127.0.0.1:${port}` };
}

function stop(server: Server): void {
  try {
    // Its own process group (detached): wrangler and the workerd it started, nothing else.
    if (server.child.pid !== undefined) process.kill(-server.child.pid, "SIGTERM");
  } catch {}
}

interface Load {
  url: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
}

/** Every running bench server, so that each run can say whose CPU it spent. */
const running: Server[] = [];

/**
 * CPU seconds spent so far by each server's processes (its process group: wrangler's Node and
 * the workerd it runs), by server and program name, and by this process (autocannon).
 */
function cpuSeconds(): Map<string, number> {
  const ticks = 100; // USER_HZ on Linux
  const byGroup = new Map(running.map((server) => [server.child.pid, server.name]));
  const spent = new Map<string, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    const close = stat.lastIndexOf(")");
    const program = stat.slice(stat.indexOf("(") + 1, close);
    const fields = stat.slice(close + 2).split(" ");
    const group = byGroup.get(Number(fields[2]));
    if (group === undefined) continue;
    const key = `${group}:${program}`;
    spent.set(key, (spent.get(key) ?? 0) + (Number(fields[11]) + Number(fields[12])) / ticks);
  }
  const own = process.cpuUsage();
  spent.set("autocannon", (own.user + own.system) / 1e6);
  return spent;
}

/** The servers that answer a target: its own, and for a proxy its upstream. */
function serversOf(target: string): string[] {
  const [endpoint = "", variant = "current"] = target.split(":");
  if (target === "trivial") return ["trivial"];
  if (target === "upstream") return ["instant upstream"];
  if (target === "emulatorUpstream") return ["emulator"];
  if (target === "proxyEmulator") return ["emulator-api", "emulator"];
  return endpoint === "proxy" ? [variant, "instant upstream"] : [variant];
}

/** CPU µs per request of each run, by `server:program`: where the time went. */
const cpuPerRequest: Record<string, Record<string, number[]>> = {};

async function load(
  target: Load,
  seconds: number,
  errors: { count: number },
  name?: string,
): Promise<number> {
  const before = name === undefined ? undefined : cpuSeconds();
  const result = await autocannon({
    url: target.url,
    method: target.method,
    headers: target.headers,
    ...(target.body === undefined ? {} : { body: target.body }),
    connections: CONNECTIONS,
    duration: seconds,
  });
  errors.count += result.non2xx + result.errors + result.timeouts;
  if (before !== undefined && name !== undefined && result.requests.total > 0) {
    const after = cpuSeconds();
    const mine = cpuPerRequest[name] ?? {};
    cpuPerRequest[name] = mine;
    for (const [key, value] of after) {
      const us = ((value - (before.get(key) ?? 0)) * 1e6) / result.requests.total;
      if (us >= 1) mine[key] = [...(mine[key] ?? []), us];
    }
  }
  return result.requests.average;
}

const basic = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString("base64")}`;
const FORM = "application/x-www-form-urlencoded";

type Endpoint = "token" | "introspect" | "proxy";

/** The three measured requests against a broker at `broker`, holding `token`. */
export function brokerLoads(broker: string, token: string): Record<Endpoint, Load> {
  return {
    token: {
      url: `${broker}/oauth/token`,
      method: "POST",
      headers: { authorization: basic, "content-type": FORM },
      body: "grant_type=client_credentials&scope=ipospays:PaymentTokenization",
    },
    introspect: {
      url: `${broker}/oauth/introspect`,
      method: "POST",
      headers: { authorization: basic, "content-type": FORM },
      body: `token=${token}`,
    },
    proxy: {
      url: `${broker}/proxy/ipospays/api/v3/iposTransact`,
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: '{"amount":1250}',
    },
  };
}

export async function tokenFrom(broker: string): Promise<string> {
  const issued = await fetch(`${broker}/oauth/token`, {
    method: "POST",
    headers: { authorization: basic, "content-type": FORM },
    body: "grant_type=client_credentials&scope=ipospays:PaymentTokenization",
  });
  if (issued.status !== 200) throw new Error(`token: ${issued.status} ${await issued.text()}`);
  return ((await issued.json()) as { access_token: string }).access_token;
}

/** iPOSpays Transact at `apiBase` itself, with the provider token the broker hands out. */
async function upstreamLoad(broker: string, apiBase: string): Promise<Load> {
  const answer = await fetch(`${broker}/provider-token`, {
    method: "POST",
    headers: { authorization: basic, "content-type": FORM },
    body: "scope=ipospays:PaymentTokenization",
  });
  if (answer.status !== 200) throw new Error(`provider-token: ${answer.status}`);
  const { access_token, apply } = (await answer.json()) as {
    access_token: string;
    apply: { header: string; prefix: string };
  };
  return {
    url: `${apiBase}/api/v3/iposTransact`,
    method: "POST",
    headers: {
      [apply.header.toLowerCase()]: `${apply.prefix}${access_token}`,
      "content-type": "application/json",
    },
    body: '{"amount":1250}',
  };
}

/** `BENCH_VARIANTS`: name=dir pairs. */
function variantRoots(): Record<string, string> {
  const roots: Record<string, string> = {};
  for (const pair of (process.env.BENCH_VARIANTS ?? "").split(",")) {
    const [name, dir] = pair.split("=");
    if (name && dir) roots[name] = resolve(dir);
  }
  return roots;
}

export const UPSTREAM =
  "a node:http server on 127.0.0.1, in a process of its own, that reads each request and " +
  "answers Transact's 200 JSON (150 bytes) at once (bench/support/instant-upstream.ts)";

export async function brokerBench(): Promise<BrokerResult> {
  const dir = mkdtempSync(join(tmpdir(), "edgetoken-bench-broker-"));
  const servers = running;
  const baseline = baselineRoot();
  const roots: Record<string, string> = { current: ROOT };
  if (baseline !== undefined) roots.baseline = baseline;
  Object.assign(roots, variantRoots());
  const viaEmulator = process.env.BENCH_PROXY_EMULATOR === "1";
  const only = process.env.BENCH_TARGETS ? new Set(process.env.BENCH_TARGETS.split(",")) : null;
  try {
    const emulatorPort = await freePort();
    const trivialPort = await freePort();
    const upstreamPort = await freePort();
    writeFileSync(join(dir, "trivial.toml"), trivialToml());
    // The embedded default's credentials for the emulator's demo accounts (no real secret).
    writeFileSync(
      join(dir, ".dev.vars"),
      Object.entries(EMBEDDED_DEFAULT_SECRETS)
        .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
        .join("\n"),
    );
    servers.push(
      await instantUpstream(upstreamPort),
      await wranglerDev(
        "emulator",
        join(ROOT, "emulator.wrangler.toml"),
        emulatorPort,
        join(dir, "emulator-state"),
      ),
      await wranglerDev("trivial", join(dir, "trivial.toml"), trivialPort, join(dir, "trivial")),
    );
    const instant = `http://127.0.0.1:${upstreamPort}/ipospays`;
    const emulatorApi = `http://127.0.0.1:${emulatorPort}/ipospays`;
    const targets: Record<string, Load> = {
      trivial: {
        url: `http://127.0.0.1:${trivialPort}/oauth/token`,
        method: "POST",
        headers: { authorization: basic, "content-type": FORM },
        body: "grant_type=client_credentials&scope=ipospays:PaymentTokenization",
      },
    };
    const brokers: Array<[string, string, string]> = Object.entries(roots).map(
      ([variant, root]) => [variant, root, instant],
    );
    if (viaEmulator) brokers.push(["emulator-api", ROOT, emulatorApi]);
    for (const [variant, root, apiBase] of brokers) {
      const port = await freePort();
      const config = join(dir, `${variant}.toml`);
      writeFileSync(config, brokerToml(root, port, emulatorPort, apiBase));
      servers.push(await wranglerDev(variant, config, port, join(dir, `${variant}-state`)));
      const broker = `http://127.0.0.1:${port}`;
      const loads = brokerLoads(broker, await tokenFrom(broker));
      if (variant === "current") targets.upstream = await upstreamLoad(broker, instant);
      if (variant === "emulator-api") {
        targets.proxyEmulator = loads.proxy;
        targets.emulatorUpstream = await upstreamLoad(broker, emulatorApi);
        continue;
      }
      for (const [endpoint, target] of Object.entries(loads)) {
        targets[variant === "current" ? endpoint : `${endpoint}:${variant}`] = target;
      }
    }
    if (only !== null) {
      for (const name of Object.keys(targets)) if (!only.has(name)) delete targets[name];
    }
    // Each answers once before it is measured (the proxy's provider token is obtained here).
    for (const [name, target] of Object.entries(targets)) {
      const response = await fetch(target.url, target);
      if (response.status !== 200) {
        throw new Error(`${name}: ${response.status} ${await response.text()}`);
      }
    }
    const errors = Object.fromEntries(Object.keys(targets).map((name) => [name, { count: 0 }]));
    for (const target of Object.values(targets)) await load(target, 2, { count: 0 });
    const { medians, samples } = await interleaved(
      ROUNDS,
      Object.fromEntries(
        Object.entries(targets).map(([name, target]) => [
          name,
          () => load(target, SECONDS, errors[name] as { count: number }, name),
        ]),
      ),
    );
    const serverCpuUs = Object.fromEntries(
      Object.entries(cpuPerRequest).map(([name, by]) => {
        const servers = serversOf(name);
        const rounds = Math.max(0, ...Object.values(by).map((values) => values.length));
        const totals = Array.from({ length: rounds }, (_, round) =>
          Object.entries(by)
            .filter(
              ([key]) => !key.endsWith(":esbuild") && servers.includes(key.split(":")[0] ?? ""),
            )
            .reduce((sum, [, values]) => sum + (values[round] ?? 0), 0),
        );
        return [name, Math.round(median(totals))];
      }),
    );
    const trivialCpu = serverCpuUs.trivial;
    const cpuRatio = Object.fromEntries(
      Object.entries(serverCpuUs).map(([name, us]) => [
        name,
        trivialCpu === undefined || us === 0 ? 0 : Math.round((trivialCpu / us) * 100) / 100,
      ]),
    );
    const rps = (suffix: string): BrokerRps => ({
      tokenRps: medians[`token${suffix}`] as number,
      introspectRps: medians[`introspect${suffix}`] as number,
      proxyRps: medians[`proxy${suffix}`] as number,
    });
    return {
      ...rps(""),
      trivialRps: medians.trivial as number,
      upstreamRps: medians.upstream as number,
      upstream: UPSTREAM,
      baseline: baseline === undefined ? null : rps(":baseline"),
      variants: Object.fromEntries(
        Object.keys(variantRoots()).map((name) => [name, rps(`:${name}`)]),
      ),
      viaEmulator: viaEmulator
        ? {
            proxyRps: medians.proxyEmulator as number,
            upstreamRps: medians.emulatorUpstream as number,
          }
        : null,
      samples,
      errors: Object.fromEntries(Object.entries(errors).map(([name, { count }]) => [name, count])),
      serverCpuUs,
      cpuRatio,
      cpuUs: Object.fromEntries(
        Object.entries(cpuPerRequest).map(([name, by]) => [
          name,
          Object.fromEntries(
            Object.entries(by)
              .map(([key, values]) => [key, Math.round(median(values))] as const)
              .filter(([, us]) => us >= 5)
              .sort(([, a], [, b]) => b - a),
          ),
        ]),
      ),
    };
  } finally {
    for (const server of servers) stop(server);
    await new Promise((done) => setTimeout(done, 1_000));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) console.log(JSON.stringify(await brokerBench()));
