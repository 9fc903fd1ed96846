/**
 * A fleet on a simulated clock: several token sources with their own memory (as separate
 * isolates would have), one real KV namespace whose reads are made stale at random the way KV is
 * across locations, and the real Durable Object lease made slow or unreachable now and then —
 * driven for 24 simulated hours against the emulator. What it counts is what a payments team
 * cares about: calls to the provider's auth endpoints, tokens handed out expired, callers that
 * had to wait on a provider call, rotating refresh tokens redeemed twice.
 */
import { createEmulator, type Emulator } from "../../src/emulator/index.ts";
import {
  createDurableObjectLease,
  createKvStore,
  createTokenSource,
  type DurableObjectNamespaceLike,
  type KvNamespaceLike,
  type Provider,
  type Token,
  type TokenLease,
} from "../../src/index.ts";

export const HOUR = 3_600_000;
/** 2026-01-01T00:00:00Z, like the other suites. */
const T0 = Date.UTC(2026, 0, 1);

export interface FleetOptions {
  /** A name that keeps this run's store keys and leases apart from every other run's. */
  run: string;
  /** Builds one source's provider: each isolate has its own (and its own memory of spent handles). */
  provider: () => Provider;
  emulator?: Emulator;
  /** Token sources, each with its own memory. */
  sources: number;
  /** Simulated time, ms. */
  durationMs: number;
  /** Simulated time between steps, ms; each source takes a request with `requestChance` per step. */
  stepMs: number;
  requestChance: number;
  /** The Durable Object namespace for the lease; none: per-instance single flight only. */
  leases?: DurableObjectNamespaceLike | undefined;
  kv: KvNamespaceLike;
  /** Chance that a KV read returns a value up to `staleMs` old. */
  staleChance: number;
  staleMs: number;
  /** Chances that a lease call fails, or takes up to `slowLeaseMs` (simulated). */
  leaseFailChance: number;
  leaseSlowChance: number;
  slowLeaseMs: number;
  seed: number;
}

export interface FleetReport {
  sources: number;
  requests: number;
  authCalls: number;
  /** How many lifetimes of the provider's token the run spans. */
  tokenLifetimes: number;
  expiredServed: number;
  waitedOnProvider: number;
  refreshTokenReuse: number;
  /** Auth calls one source alone makes in the same time: what the fleet should not exceed. */
  lifetimeMs: number;
  storeStaleReads: number;
  leaseFaults: number;
}

/** A small deterministic generator (mulberry32): runs repeat exactly for a seed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** One clock for the whole fleet; `sleep` resolves when the driver moves time past it. */
class SimulatedTime {
  now = T0;
  readonly #sleepers: { at: number; wake: () => void }[] = [];

  sleep = (ms: number): Promise<void> =>
    new Promise((wake) => {
      this.#sleepers.push({ at: this.now + ms, wake });
    });

  moveTo(at: number): void {
    this.now = at;
    for (let i = this.#sleepers.length - 1; i >= 0; i--) {
      const sleeper = this.#sleepers[i];
      if (sleeper !== undefined && sleeper.at <= at) {
        this.#sleepers.splice(i, 1);
        sleeper.wake();
      }
    }
  }

  get sleeping(): number {
    return this.#sleepers.length;
  }
}

/**
 * The real namespace, but a read may see what was there up to `staleMs` ago — as a KV read in
 * another location does until the write reaches it.
 */
function staleReads(
  kv: KvNamespaceLike,
  io: InFlight,
  time: SimulatedTime,
  random: () => number,
  options: FleetOptions,
  counted: { stale: number },
): KvNamespaceLike {
  const history = new Map<string, { at: number; value: string | null }[]>();
  const record = (key: string, value: string | null): void => {
    const list = history.get(key) ?? [];
    list.push({ at: time.now, value });
    history.set(key, list);
  };
  return {
    async get(key, type) {
      const fresh = await io.track(() => kv.get(key, type));
      if (random() >= options.staleChance) return fresh;
      const seenAt = time.now - random() * options.staleMs;
      const older = (history.get(key) ?? []).filter((entry) => entry.at <= seenAt).at(-1);
      const value = older === undefined ? null : older.value;
      if (value !== fresh) counted.stale += 1;
      return value;
    },
    async put(key, value, put) {
      await io.track(() => kv.put(key, value, put));
      record(key, value);
    },
    async delete(key) {
      await io.track(() => kv.delete(key));
      record(key, null);
    },
  };
}

/** The real lease, now and then unreachable or slow. */
function flakyLease(
  lease: TokenLease,
  io: InFlight,
  time: SimulatedTime,
  random: () => number,
  options: FleetOptions,
  counted: { faults: number },
): TokenLease {
  async function disturb(): Promise<void> {
    const roll = random();
    if (roll < options.leaseFailChance) {
      counted.faults += 1;
      throw new Error("lease unreachable");
    }
    if (roll < options.leaseFailChance + options.leaseSlowChance) {
      counted.faults += 1;
      await time.sleep(random() * options.slowLeaseMs);
    }
  }
  return {
    async acquire(key, holder, now, until) {
      await disturb();
      return io.track(() => lease.acquire(key, holder, now, until));
    },
    async release(key, holder, settled) {
      await disturb();
      return io.track(() => lease.release(key, holder, settled));
    },
    async settled(key) {
      await disturb();
      return io.track(async () => lease.settled?.(key));
    },
  };
}

const AUTH_PATHS = [
  "/ipospays/v1/authenticate-token",
  "/ipospays/v1/refresh-token",
  "/paymentsgate/auth/token",
  "/paymentsgate/auth/token/refresh",
  "/papaya/token",
];

/** One turn of the event loop: real I/O (KV, the Durable Object, Web Crypto) completes in these. */
function realTick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Counts operations in flight, so the driver turns the event loop only while there are some. */
class InFlight {
  count = 0;
  async track<T>(work: () => Promise<T>): Promise<T> {
    this.count += 1;
    try {
      return await work();
    } finally {
      this.count -= 1;
    }
  }
}

/** Runs one fleet for the options' duration and reports what it counted. */
export async function simulateFleet(options: FleetOptions): Promise<FleetReport> {
  const time = new SimulatedTime();
  const random = seeded(options.seed);
  const emulator = options.emulator ?? createEmulator({ now: () => time.now });
  const counted = { stale: 0, faults: 0 };
  const io = new InFlight();
  const issued = new Map<string, number>(); // token value → auth call sequence
  const redeemed = new Set<string>();
  let authCalls = 0;
  let refreshTokenReuse = 0;

  function providerFetch(input: Request | string | URL, init?: RequestInit): Promise<Response> {
    return io.track(() => answer(input, init));
  }

  async function answer(input: Request | string | URL, init?: RequestInit): Promise<Response> {
    const request = new Request(input, init);
    const path = new URL(request.url).pathname;
    const auth = AUTH_PATHS.includes(path);
    if (path === "/paymentsgate/auth/token/refresh") {
      const body = (await request.clone().json()) as { refresh_token?: string };
      const handle = body.refresh_token ?? "";
      if (redeemed.has(handle)) refreshTokenReuse += 1;
      redeemed.add(handle);
    }
    const response = await emulator.fetch(request);
    if (auth) {
      authCalls += 1;
      const sequence = authCalls;
      const body = (await response.clone().json()) as Record<string, unknown>;
      for (const field of ["token", "access_token"]) {
        const value = body[field];
        if (typeof value === "string") issued.set(value, sequence);
      }
    }
    return response;
  }

  const providerFor = (): Provider => {
    const provider = options.provider();
    return { ...provider, key: { ...provider.key, environment: options.run } };
  };
  const store = createKvStore(staleReads(options.kv, io, time, random, options, counted), {
    now: () => time.now,
  });
  const lease =
    options.leases === undefined
      ? undefined
      : flakyLease(createDurableObjectLease(options.leases), io, time, random, options, counted);
  const runtime = {
    fetch: providerFetch,
    now: () => time.now,
    sleep: time.sleep,
    random: seeded(options.seed + 1),
  };
  const sources = Array.from({ length: options.sources }, () =>
    createTokenSource(providerFor(), { store, lease, runtime }),
  );

  let requests = 0;
  let expiredServed = 0;
  let waitedOnProvider = 0;
  let firstToken: Token | undefined;
  const pending = new Set<Promise<void>>();

  function request(index: number): void {
    const source = sources[index];
    if (source === undefined) return;
    requests += 1;
    const askedAfterFirst = firstToken !== undefined;
    const callsBefore = authCalls;
    const done = source.get().then(
      (token) => {
        firstToken ??= token;
        if (token.expiresAt <= time.now) expiredServed += 1;
        // It waited on a provider call if it got a token an auth call issued after it asked.
        const issuedBy = issued.get(token.value) ?? 0;
        if (askedAfterFirst && issuedBy > callsBefore) waitedOnProvider += 1;
      },
      () => {
        // A failed get() (every retry spent) is neither an expired token nor a wait we count.
      },
    );
    const tracked = done.finally(() => pending.delete(tracked));
    pending.add(tracked);
  }

  async function settle(): Promise<void> {
    // Real I/O (KV, the Durable Object) needs the event loop, also for work nobody awaits (a
    // refresh behind the cached token): one turn of it per simulated step at least. Whatever is
    // left after that waits on the simulated clock (lease polling, a slow lease).
    for (let round = 0; round < 1000; round++) {
      await Promise.resolve();
      if (io.count === 0 && (pending.size === 0 || pending.size <= time.sleeping)) break;
      await realTick();
    }
  }

  const end = T0 + options.durationMs;
  for (let at = T0; at < end; at += options.stepMs) {
    time.moveTo(at);
    for (let index = 0; index < sources.length; index++) {
      if (random() < options.requestChance) request(index);
    }
    await settle();
  }
  for (let at = end; pending.size > 0 && at < end + HOUR; at += options.stepMs) {
    time.moveTo(at);
    await settle();
  }

  const lifetimeMs = firstToken === undefined ? 0 : firstToken.lifetime;
  return {
    sources: options.sources,
    requests,
    authCalls,
    tokenLifetimes: lifetimeMs === 0 ? 0 : Math.ceil(options.durationMs / lifetimeMs),
    expiredServed,
    waitedOnProvider,
    refreshTokenReuse,
    lifetimeMs,
    storeStaleReads: counted.stale,
    leaseFaults: counted.faults,
  };
}
