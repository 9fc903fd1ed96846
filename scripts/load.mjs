// `npm run load`: what `npm start` boots — the broker and the provider emulator under
// `wrangler dev` — on ports of its own (broker 8797, emulator 8798, inspectors 9239/9240, state in
// .wrangler/load/), so it runs beside a running `npm start`. A client `load` with a high rate limit
// is configured for it; autocannon drives the token endpoint and the proxy (all three providers)
// from 127.0.0.1, 50 connections each for 30 s. The last line printed is one JSON object:
//
//   {"requests":…,"errors":…,"status5xx":…,"authCalls":…,"tokenLifetimes":…,"providers":3}
//
// errors: requests that got no answer or an answer other than 2xx and 5xx; authCalls: the calls
// the emulator's token and refresh endpoints saw; tokenLifetimes: how many provider-token
// lifetimes the run spanned, summed over the providers (the target: authCalls ≤ tokenLifetimes +
// providers).
//
// `npm run load -- --faults` switches provider faults on mid-run through the emulator's controls —
// 503, 429, latency past the 10 s timeout, malformed bodies, then tokens issued already expired,
// at the token and refresh endpoints (ROUNDS below) — and as each round starts revokes the
// providers' current tokens at the emulator, so the broker must renew under the fault. The JSON
// line then also splits the 5xx into clean typed 502/503/504 (a JSON body with `error`) and
// anything else, and says how many expired tokens the emulator's API endpoints were sent
// (`GET /_emulator/refused`).
//
// --duration <s> (LOAD_DURATION, at most 600: the proxy's broker token lives 900 s) and
// --connections <n> (LOAD_CONNECTIONS, per target). Ctrl-C stops everything it started (each
// wrangler in its own process group). A measurement, not a test: in neither `npm test` nor CI.
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { EMBEDDED_DEFAULT_SECRETS } from "./embedded-default.ts";

const { values: flags } = parseArgs({
  options: {
    faults: { type: "boolean", default: false },
    duration: { type: "string" },
    connections: { type: "string" },
  },
});
const DURATION = Number(flags.duration ?? process.env.LOAD_DURATION ?? 30);
const CONNECTIONS = Number(flags.connections ?? process.env.LOAD_CONNECTIONS ?? 50);
if (!(Number.isInteger(DURATION) && DURATION >= 5 && DURATION <= 600)) {
  throw new Error("--duration must be a whole number of seconds between 5 and 600");
}
if (!(Number.isInteger(CONNECTIONS) && CONNECTIONS >= 1 && CONNECTIONS <= 1000)) {
  throw new Error("--connections must be a whole number between 1 and 1000");
}

const BROKER_PORT = 8797;
const EMULATOR_PORT = 8798;
const BROKER = `http://127.0.0.1:${BROKER_PORT}`;
const EMULATOR = `http://127.0.0.1:${EMULATOR_PORT}`;
const STATE = new URL("../.wrangler/load/", import.meta.url);
const PROVIDERS = ["ipospays", "paymentsgate", "papaya"];

/** One scope per provider, each with a proxy path that needs it and a valid request for it. */
const TARGETS = [
  {
    scope: "ipospays:PaymentTokenization",
    method: "POST",
    path: "/proxy/ipospays/api/v3/iposTransact",
    body: JSON.stringify({ transactionRequest: { amount: "10.00" } }),
  },
  {
    scope: "paymentsgate:payments",
    method: "POST",
    path: "/proxy/paymentsgate/deals/payin",
    body: JSON.stringify({ amount: 10, currency: "USD" }),
  },
  { scope: "papaya:payments", method: "GET", path: "/proxy/papaya/v1/payments" },
];

// ---- the client the load uses, and the broker's configuration -------------------------------

// A fresh secret every run; the broker holds only its hash. Its budget: a million requests a second.
const SECRET = randomBytes(24).toString("base64url");
const LOAD_CLIENT = {
  id: "load",
  secretHash: `sha256:${createHash("sha256").update(SECRET).digest("base64url")}`,
  scopes: TARGETS.map((target) => target.scope),
  audiences: ["edgetoken-demo"],
  maxLifetime: 900,
  providerTokens: true,
  rateLimit: { requests: 1_000_000, windowSeconds: 1 },
};
const BASIC = `Basic ${Buffer.from(`load:${SECRET}`).toString("base64")}`;

/** What wrangler.toml's [vars] say for `npm start`, pointed at this run's ports, and the secrets. */
function brokerEnv() {
  const values = {
    ...EMBEDDED_DEFAULT_SECRETS,
    ISSUER: BROKER,
    DEMO_CLIENT_ID: "load",
    BROKER_CLIENTS: JSON.stringify([LOAD_CLIENT]),
    IPOSPAYS_BASE_URL: `${EMULATOR}/ipospays`,
    IPOSPAYS_API_BASE_URL: `${EMULATOR}/ipospays`,
    PAYMENTSGATE_BASE_URL: `${EMULATOR}/paymentsgate`,
    PAPAYA_BASE_URL: `${EMULATOR}/papaya`,
  };
  // An env file: wrangler shows its values as "(hidden)", and with --env-file reads no .dev.vars.
  return `${Object.entries(values)
    .map(([name, value]) => `${name}='${value}'`)
    .join("\n")}\n`;
}

// ---- the processes it starts, and stops whatever happens ------------------------------------

const children = [];
let stopping = false;

function stopAll(signal = "SIGTERM") {
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    try {
      // Negative: the whole process group (wrangler and the workerd it started).
      process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  }
}

async function shutDown(code) {
  if (stopping) return;
  stopping = true;
  stopAll("SIGTERM");
  const exited = children.map(
    (child) =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once("exit", resolve);
      }),
  );
  const late = setTimeout(() => stopAll("SIGKILL"), 5000);
  await Promise.all(exited);
  clearTimeout(late);
  process.exit(code);
}

process.on("SIGINT", () => {
  console.error("\nload: interrupted; stopping what it started.");
  for (const instance of running) instance.stop();
  shutDown(130);
});
process.on("SIGTERM", () => shutDown(143));
// Whatever else happens, no wrangler outlives this process.
process.on("exit", () => stopAll("SIGKILL"));

function start(name, args) {
  const log = openSync(new URL(`${name}.log`, STATE), "w");
  const child = spawn("wrangler", args, {
    stdio: ["ignore", log, log],
    detached: true,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  children.push(child);
  child.on("exit", (code, signal) => {
    if (!stopping) {
      console.error(`load: ${name} exited (${code ?? signal}); see .wrangler/load/${name}.log`);
      shutDown(1);
    }
  });
}

function portTaken(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function ready(url, name) {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const tail = readFileSync(new URL(`${name}.log`, STATE), "utf8")
    .split("\n")
    .slice(-20);
  throw new Error(`${name} did not start in 90 s:\n${tail.join("\n")}`);
}

// ---- calls to the broker and the emulator ---------------------------------------------------

async function brokerToken() {
  const response = await fetch(`${BROKER}/oauth/token`, {
    method: "POST",
    headers: { Authorization: BASIC, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      scope: LOAD_CLIENT.scopes.join(" "),
      expires_in: "900",
    }),
  });
  if (response.status !== 200) {
    throw new Error(`the load client got no token: ${response.status} ${await response.text()}`);
  }
  return (await response.json()).access_token;
}

/** The provider's current token for a scope, as the broker hands it out (undefined on failure). */
async function providerToken(scope, timeoutMs = 15_000) {
  try {
    const response = await fetch(`${BROKER}/provider-token`, {
      method: "POST",
      headers: { Authorization: BASIC, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ scope }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return response.status === 200 ? (await response.json()).access_token : undefined;
  } catch {
    return undefined;
  }
}

async function control(method, path, body) {
  const response = await fetch(`${EMULATOR}/_emulator/${path}`, {
    method,
    headers: { "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`emulator ${method} ${path}: ${response.status}`);
  return response.json();
}

/** A provider token's lifetime in seconds: every emulated provider's token is a JWT. */
function lifetimeOf(token) {
  const [, payload = ""] = token.split(".");
  const { iat, exp } = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  return exp - iat;
}

/** Calls to the emulator's token and refresh endpoints (its index names them by kind). */
async function authCalls() {
  const [index, calls] = await Promise.all([
    fetch(`${EMULATOR}/`).then((response) => response.json()),
    control("GET", "calls"),
  ]);
  let total = 0;
  for (const provider of PROVIDERS) {
    const { endpoints } = index.providers[provider];
    for (const kind of ["token", "refresh"]) {
      if (endpoints[kind] !== undefined) total += calls[endpoints[kind]] ?? 0;
    }
  }
  return { total, calls };
}

// ---- faults -----------------------------------------------------------------------------------

/**
 * Three rounds of faults at the token and refresh endpoints — two with each provider its own
 * kind, one of tokens already expired when issued — and none between and after them. The library's provider calls time out at 10 s, and so does the proxy's
 * deadline: 12 s of latency is past both. A malformed body is a permanent failure (refused for
 * 30 s after), the others transient (backoff 1 s, doubling).
 */
const ROUNDS = [
  {
    at: 0.15,
    faults: {
      ipospays: { kind: "status", status: 503 },
      paymentsgate: { kind: "rate_limit", retryAfter: 2 },
      papaya: { kind: "latency", ms: 12_000 },
    },
  },
  { at: 0.35, faults: {} },
  {
    at: 0.45,
    faults: {
      ipospays: { kind: "latency", ms: 12_000 },
      paymentsgate: { kind: "malformed" },
      papaya: { kind: "status", status: 503 },
    },
  },
  { at: 0.62, faults: {} },
  {
    // Tokens that are expired when issued: none of them may reach an API endpoint.
    at: 0.7,
    faults: {
      ipospays: { kind: "expired_tokens" },
      paymentsgate: { kind: "expired_tokens" },
      papaya: { kind: "expired_tokens" },
    },
  },
  { at: 0.85, faults: {} },
];
let forcedRenewals = 0;
const phaseLog = [];
/** The emulator's API endpoint per provider ("METHOD /path", as its counts name them). */
let apiEndpoints = {};

/** Revoked tokens each provider's API endpoint was sent so far. */
async function revokedSent() {
  const refused = await control("GET", "refused");
  return Object.fromEntries(
    PROVIDERS.map((provider) => [provider, refused[apiEndpoints[provider]]?.revoked ?? 0]),
  );
}

/** Closes the last phase in the log: what its revocations cost in refused API calls. */
async function closePhase() {
  const last = phaseLog.at(-1);
  if (last === undefined) return;
  const now = await revokedSent();
  last.revokedSent = Object.fromEntries(
    PROVIDERS.map((provider) => [provider, now[provider] - (last.before[provider] ?? 0)]),
  );
  delete last.before;
}
/** Provider tokens seen during the run, for their lifetimes. */
const seenTokens = new Map();

/**
 * Arms a round's faults and revokes the providers' current tokens at the emulator: the next API
 * call refuses them, and the broker has to renew under the fault.
 */
async function enterRound(round, startedAt) {
  const armed = Object.keys(round.faults).length > 0;
  const tokens = armed
    ? await Promise.all(TARGETS.map((target) => providerToken(target.scope, 3000)))
    : [];
  await control("DELETE", "faults");
  for (const [provider, fault] of Object.entries(round.faults)) {
    for (const endpoint of ["token", "refresh"]) {
      await control("POST", "faults", { ...fault, provider, endpoint });
    }
  }
  for (const [index, token] of tokens.entries()) {
    if (token === undefined) continue;
    seenTokens.set(TARGETS[index]?.scope, token);
    await control("POST", "revoke", { token });
    forcedRenewals += 1;
  }
  await closePhase();
  const before = await revokedSent();
  const named = Object.entries(round.faults).map(
    ([provider, fault]) => `${provider} ${fault.kind}${fault.status ?? ""}`,
  );
  phaseLog.push({
    planned: Math.round(round.at * DURATION),
    armed: Math.round((Date.now() - startedAt) / 1000),
    faults: named.length === 0 ? "none" : named.join(", "),
    revoked: tokens.filter((token) => token !== undefined).length,
    before,
  });
}

// ---- the run ----------------------------------------------------------------------------------

/** Answers by class, from autocannon's onResponse (which sees status, body and headers). */
const tally = { status: {}, byTarget: {}, typed5xx: 0, other5xx: 0, otherSamples: [] };

function record(title, status, body, headers) {
  tally.status[status] = (tally.status[status] ?? 0) + 1;
  tally.byTarget[title] ??= {};
  tally.byTarget[title][status] = (tally.byTarget[title][status] ?? 0) + 1;
  if (status < 500) return;
  let error;
  try {
    error = JSON.parse(body).error;
  } catch {
    error = undefined;
  }
  const type = Object.entries(headers ?? {}).find(
    ([name]) => name.toLowerCase() === "content-type",
  );
  const json = /^application\/json/.test(String(type?.[1] ?? ""));
  if ([502, 503, 504].includes(status) && json && typeof error === "string") tally.typed5xx += 1;
  else {
    tally.other5xx += 1;
    if (tally.otherSamples.length < 5) tally.otherSamples.push(`${status} ${body.slice(0, 200)}`);
  }
}

const running = [];

function drive(title, requests) {
  const instance = autocannon({
    url: BROKER,
    title,
    connections: CONNECTIONS,
    duration: DURATION,
    // Past the broker's own 10 s deadlines: a slow answer is measured, not cut off.
    timeout: 30,
    requests: requests.map((request) => ({
      ...request,
      onResponse: (status, body, _context, headers) => record(title, status, body, headers),
    })),
  });
  running.push(instance);
  return instance;
}

async function main() {
  for (const port of [BROKER_PORT, EMULATOR_PORT, 9239, 9240]) {
    if (await portTaken(port)) throw new Error(`port ${port} is in use: is another load running?`);
  }
  // Its own state, new every run: no rate-limiter, token or key of an earlier run.
  rmSync(STATE, { recursive: true, force: true });
  mkdirSync(STATE, { recursive: true });
  // The demo page the broker serves as assets (wrangler.toml's [assets]) is bundled first.
  await import("./build-demo.mjs");
  const envFile = new URL("broker.env", STATE).pathname;
  writeFileSync(envFile, brokerEnv(), { mode: 0o600 });
  const persist = (name) => new URL(`state-${name}`, STATE).pathname;
  start("emulator", [
    "dev",
    "-c",
    "emulator.wrangler.toml",
    "--ip",
    "127.0.0.1",
    "--port",
    String(EMULATOR_PORT),
    "--inspector-port",
    "9240",
    "--persist-to",
    persist("emulator"),
    "--show-interactive-dev-session=false",
  ]);
  start("broker", [
    "dev",
    "-c",
    "wrangler.toml",
    "--ip",
    "127.0.0.1",
    "--port",
    String(BROKER_PORT),
    "--inspector-port",
    "9239",
    "--persist-to",
    persist("broker"),
    "--env-file",
    envFile,
    "--show-interactive-dev-session=false",
  ]);
  await Promise.all([ready(`${EMULATOR}/`, "emulator"), ready(`${BROKER}/healthz`, "broker")]);

  const emulatorIndex = await fetch(`${EMULATOR}/`).then((response) => response.json());
  apiEndpoints = Object.fromEntries(
    PROVIDERS.map((provider) => [provider, emulatorIndex.providers[provider].endpoints.api]),
  );
  const token = await brokerToken();
  const bearer = `Bearer ${token}`;
  console.error(
    `load: ${DURATION} s, ${CONNECTIONS} connections on the token endpoint and ${CONNECTIONS} on the proxy${flags.faults ? ", provider faults mid-run" : ""}`,
  );
  const startedAt = Date.now();
  const timers = flags.faults
    ? ROUNDS.map((round) =>
        setTimeout(
          () => {
            enterRound(round, startedAt).catch((error) => {
              console.error(`load: a fault round failed: ${error.message}`);
            });
          },
          round.at * DURATION * 1000,
        ),
      )
    : [];
  const tokenRun = drive("token endpoint", [
    {
      method: "POST",
      path: "/oauth/token",
      headers: { authorization: BASIC, "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials&scope=papaya%3Apayments",
    },
  ]);
  const proxyRun = drive(
    "proxy",
    TARGETS.map((target) => ({
      method: target.method,
      path: target.path,
      headers: {
        authorization: bearer,
        ...(target.body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(target.body === undefined ? {} : { body: target.body }),
    })),
  );
  const [tokenResult, proxyResult] = await Promise.all([tokenRun, proxyRun]);
  for (const timer of timers) clearTimeout(timer);
  const elapsed = (Date.now() - startedAt) / 1000;
  if (flags.faults) {
    await control("DELETE", "faults");
    await closePhase();
  }

  // What the emulator saw, before anything below could make it see more.
  const auth = await authCalls();
  const refused = await control("GET", "refused");
  const lifetimes = [];
  for (const target of TARGETS) {
    const current = await providerToken(target.scope);
    if (current !== undefined)
      lifetimes.push({ scope: target.scope, seconds: lifetimeOf(current) });
  }
  const tokenLifetimes = lifetimes.reduce(
    (sum, { seconds }) => sum + Math.floor(elapsed / seconds),
    0,
  );
  const sentUpstream = (problem) =>
    Object.values(apiEndpoints).reduce(
      (sum, endpoint) => sum + (refused[endpoint]?.[problem] ?? 0),
      0,
    );

  const requests = tokenResult.requests.total + proxyResult.requests.total;
  const answered = Object.values(tally.status).reduce((sum, count) => sum + count, 0);
  const ok = Object.entries(tally.status)
    .filter(([status]) => Number(status) >= 200 && Number(status) < 300)
    .reduce((sum, [, count]) => sum + count, 0);
  const status5xx = tally.typed5xx + tally.other5xx;
  const noAnswer = tokenResult.errors + proxyResult.errors;
  const errors = noAnswer + (answered - ok - status5xx);

  const detail = {
    mode: flags.faults ? "faults" : "plain",
    seconds: Math.round(elapsed),
    connections: CONNECTIONS,
    token: {
      requests: tokenResult.requests.total,
      rps: Math.round(tokenResult.requests.average),
      latencyMs: { p50: tokenResult.latency.p50, p99: tokenResult.latency.p99 },
      errors: tokenResult.errors,
      status: tally.byTarget["token endpoint"] ?? {},
    },
    proxy: {
      requests: proxyResult.requests.total,
      rps: Math.round(proxyResult.requests.average),
      latencyMs: { p50: proxyResult.latency.p50, p99: proxyResult.latency.p99 },
      errors: proxyResult.errors,
      status: tally.byTarget.proxy ?? {},
    },
    status: tally.status,
    emulatorCalls: auth.calls,
    refusedUpstream: refused,
    lifetimes,
    ...(flags.faults ? { phases: phaseLog, otherSamples: tally.otherSamples } : {}),
  };
  console.log(JSON.stringify(detail));
  const line = {
    requests,
    errors,
    status5xx,
    authCalls: auth.total,
    tokenLifetimes,
    providers: PROVIDERS.length,
    ...(flags.faults
      ? {
          status5xxTyped: tally.typed5xx,
          status5xxOther: tally.other5xx,
          forcedRenewals,
          expiredSentUpstream: sentUpstream("expired"),
          revokedSentUpstream: sentUpstream("revoked"),
        }
      : {}),
  };
  console.log(JSON.stringify(line));
}

main().then(
  () => shutDown(0),
  (error) => {
    console.error(`load: ${error.message}`);
    shutDown(1);
  },
);
