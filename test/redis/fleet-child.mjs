// One process of the group: its own token sources (each with its own memory, as separate
// processes or isolates have), sharing one Redis — through node-redis over TCP or the real
// `@upstash/redis` client through the Upstash shim — and the parent's emulator. The parent owns
// the clock: every step message says what time it is; the child serves the step's requests,
// waits until its own work has settled, and answers with what it saw.
import { Redis } from "@upstash/redis";
import { createClient } from "redis";
import { createTokenSource, papaya, paymentsGate } from "../../src/index.ts";
import {
  createRedisLease,
  createRedisStore,
  fromNodeRedis,
  fromUpstash,
} from "../../src/redis/index.ts";

/** @param {number} seed mulberry32, so each source's jitter repeats per run */
function seeded(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const PROVIDERS = {
  /** @param {string} base */
  paymentsgate: (base) =>
    paymentsGate({
      accountId: "00000000-0000-4000-8000-000000000001",
      publicKey: "ZGVtby1wdWJsaWMta2V5",
      baseUrl: `${base}/paymentsgate`,
    }),
  /** @param {string} base */
  papaya: (base) =>
    papaya({
      apiKey: "demo-papaya-key",
      clientSecret: "demo-papaya-secret",
      expiration: 3600,
      baseUrl: `${base}/papaya`,
    }),
};

let at = 0;
const now = () => at;

/** Work in progress: provider calls, Redis calls the sources still wait for, lease-poll sleeps. */
const work = { fetches: 0, sleeps: 0, /** @type {Set<number>} start times */ redis: new Set() };
let redisSeq = 0;
/** @type {number} */
let backendMs = 0;

/** @param {import("../../src/redis/index.ts").RedisLike} redis */
function tracked(redis) {
  /** @template T @param {() => Promise<T>} call */
  const track = async (call) => {
    // A start time per call (made unique): one the source gave up on is not waited for.
    const id = performance.now() + (redisSeq++ % 1000) / 1e6;
    work.redis.add(id);
    try {
      return await call();
    } finally {
      work.redis.delete(id);
    }
  };
  return {
    get: (key) => track(() => redis.get(key)),
    set: (key, value, ms) => track(() => redis.set(key, value, ms)),
    eval: (script, keys, args) => track(() => redis.eval(script, keys, args)),
  };
}

/**
 * The provider, with its calls counted as work until they return (the answer parsed too).
 * @param {import("../../src/index.ts").Provider} provider
 */
function trackedProvider(provider) {
  /** @template T @param {() => Promise<T>} call */
  const track = async (call) => {
    work.fetches += 1;
    try {
      return await call();
    } finally {
      work.fetches -= 1;
    }
  };
  return new Proxy(provider, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if ((name !== "obtain" && name !== "refresh") || typeof value !== "function") return value;
      return (/** @type {unknown[]} */ ...args) => track(() => value.apply(target, args));
    },
  });
}

/** @param {number} ms @param {AbortSignal} [signal] */
function trackedSleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    work.sleeps += 1;
    const onAbort = () => {
      clearTimeout(timer);
      work.sleeps -= 1;
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      work.sleeps -= 1;
      resolve(undefined);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function busy() {
  const cutoff = performance.now() - backendMs - 50;
  for (const started of work.redis) if (started > cutoff) return true;
  return work.fetches > 0 || work.sleeps > 0;
}

/** Until nothing this process started is still running (a few quiet turns in a row). */
async function settle(limitMs = 15_000) {
  const until = performance.now() + limitMs;
  let quiet = 0;
  while (quiet < 5 && performance.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, busy() ? 2 : 0));
    quiet = busy() ? 0 : quiet + 1;
  }
  return quiet >= 5;
}

/**
 * @typedef {{
 *   provider: keyof typeof PROVIDERS,
 *   adapter: "node" | "upstash",
 *   name?: string,
 *   from?: number,
 * }} SourceSpec  `from`: the time of its first request (a process that starts late, cold)
 * @typedef {{ type: string, [name: string]: any }} Message
 */

/** @type {{ spec: SourceSpec, source: import("../../src/index.ts").TokenSource, first: boolean }[]} */
const sources = [];
const events = {
  lease: /** @type {Record<string, number>} */ ({}),
  storeFailed: 0,
  waitedAfterFirst: 0,
};
/** @type {(() => Promise<void>)[]} */
const closers = [];
let minRemainingMs = 30_000;

/** @param {Message} message */
async function start(message) {
  at = message.at;
  const options = message.options;
  backendMs = options.deadlineMs / 4;
  minRemainingMs = options.minRemainingMs ?? 30_000;
  const node = createClient({
    url: message.redisUrl,
    disableOfflineQueue: message.offlineQueue !== true,
    socket: { connectTimeout: 1_000, reconnectStrategy: () => 100 },
  });
  node.on("error", () => {}); // a lost connection is reported by the sources (store_failed)
  await node.connect();
  closers.push(() => node.close().catch(() => node.destroy()));
  const upstash = new Redis({
    url: message.upstash.url,
    token: message.upstash.token,
    automaticDeserialization: message.automaticDeserialization !== false,
    enableTelemetry: false,
  });
  const redis = { node: tracked(fromNodeRedis(node)), upstash: tracked(fromUpstash(upstash)) };
  for (const [index, spec] of message.sources.entries()) {
    const shared = redis[spec.adapter];
    const entry = { spec, source: /** @type {any} */ (undefined), first: true };
    const provider = trackedProvider(PROVIDERS[spec.provider](message.emulatorUrl));
    entry.source = createTokenSource(provider, {
      store: createRedisStore(shared, { now, prefix: message.prefix }),
      lease: createRedisLease(shared, { prefix: message.prefix }),
      ...options,
      runtime: {
        now,
        sleep: trackedSleep,
        random: seeded(message.seed * 100 + index),
      },
      onEvent: (event) => {
        if (event.type === "lease")
          events.lease[event.outcome] = (events.lease[event.outcome] ?? 0) + 1;
        if (event.type === "store_failed") events.storeFailed += 1;
        if (event.type === "waited" && !entry.first) events.waitedAfterFirst += 1;
      },
    });
    sources.push(entry);
  }
}

/** @param {Message} message */
async function step(message) {
  at = message.at;
  const started = performance.now();
  const due = sources.filter((entry) => (entry.spec.from ?? 0) <= at);
  const gets = due.map(async (entry) => {
    const begun = performance.now();
    const name = entry.spec.name ?? `${entry.spec.provider}/${entry.spec.adapter}`;
    const cold = entry.first;
    try {
      const token = await entry.source.get();
      entry.first = false;
      const left = token.expiresAt - now();
      return {
        name,
        cold,
        ok: true,
        ms: performance.now() - begun,
        expired: !(left > 0),
        belowFloor: !(left > minRemainingMs),
      };
    } catch (error) {
      return {
        name,
        cold,
        ok: false,
        ms: performance.now() - begun,
        code: error?.code ?? String(error),
      };
    }
  });
  const results = await Promise.all(gets);
  const settled = await settle();
  return { results, settled, ms: performance.now() - started };
}

/** @param {Message} message */
async function handle(message) {
  switch (message.type) {
    case "start":
      await start(message);
      return { type: "started" };
    case "step":
      return { type: "stepped", ...(await step(message)) };
    case "report":
      return { type: "report", events };
    case "stop":
      for (const close of closers) await close();
      return { type: "stopped" };
    default:
      throw new Error(`unknown message ${message.type}`);
  }
}

process.on("message", (/** @type {Message} */ message) => {
  handle(message).then(
    (answer) => process.send?.({ id: message.id, ...answer }),
    (error) =>
      process.send?.({ id: message.id, type: "error", error: String(error?.stack ?? error) }),
  );
});

// The parent is gone (or done with us): nothing left to serve.
process.on("disconnect", () => process.exit(0));
