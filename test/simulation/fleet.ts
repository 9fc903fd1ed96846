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
  type LeaseOutcome,
  type Provider,
  Token,
  type TokenLease,
  type TokenSourceOptions,
} from "../../src/index.ts";
import { refreshPoint } from "../../src/schedule.ts";

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
  /**
   * The sources' refresh window, as a user would set it (the library's defaults when absent):
   * a late window (`refreshAhead: 0.01`, no jitter) shows what the fleet costs when refreshing
   * just before expiry.
   */
  refresh?:
    | Pick<TokenSourceOptions, "refreshAhead" | "refreshJitter" | "minRemainingMs">
    | undefined;
}

/**
 * Why an auth call was made. `first`: the run's first token. `renewal`: the first call once the
 * newest token issued was past half its life (refresh points never come earlier): the one call
 * per renewal the fleet cannot avoid. Every other call is an extra one, named by what the caller
 * ran into: it had no token yet (`coldStart`: nothing to serve meanwhile, and a store read
 * within a minute of the first token may still be empty), or, since it last took a token, the
 * lease unreachable or slow (fault injected), the lease busy past `leaseMs`, a store read that
 * returned an older value than KV held (stale), or none of these (`other`).
 */
export type CallCause =
  | "first"
  | "renewal"
  | "coldStart"
  | "leaseUnreachable"
  | "leaseSlow"
  | "leaseBusy"
  | "staleRead"
  | "other";

export interface FleetReport {
  sources: number;
  requests: number;
  authCalls: number;
  /** How many lifetimes of the provider's token the run spans (rounded up). */
  tokenLifetimes: number;
  expiredServed: number;
  waitedOnProvider: number;
  refreshTokenReuse: number;
  /**
   * Of `waitedOnProvider`, the requests of a source that had no token yet (a cold start: it has
   * nothing to serve while it looks). The rest, by sources that had a token, is what must be 0.
   */
  waitedCold: number;
  /**
   * How many service lives the run spans (rounded up): a token is served from its obtaining to
   * its refresh point, so one source alone needs about this many auth calls — `tokenLifetimes`
   * divided by (1 − the refresh window), the mean of `refreshPoint` over its jitter.
   */
  tokenServiceLives: number;
  /**
   * The same for the fleet (rounded up): each source draws its own jitter, so the fleet renews
   * at the earliest of its sources' refresh points — a shorter service life than one source's,
   * however well the renewal is coordinated (`tokenServiceLives` when there is no jitter).
   */
  fleetServiceLives: number;
  lifetimeMs: number;
  storeStaleReads: number;
  leaseFaults: number;
  /** Auth calls by cause; they add up to `authCalls`. */
  calls: Record<CallCause, number>;
}

/**
 * The mean time a token of `lifetimeMs` is served under the refresh window, ms: by one source
 * (`sources` 1), or by a fleet of `sources` that each draw their own jitter — the fleet renews
 * at the earliest of their refresh points, the one of the largest draw (the maximum of
 * `sources` uniform draws, whose distribution is x^sources).
 */
export function meanServiceLifeMs(
  lifetimeMs: number,
  refresh: FleetOptions["refresh"] = {},
  sources = 1,
): number {
  const options = {
    refreshAhead: refresh.refreshAhead ?? 0.25,
    refreshJitter: refresh.refreshJitter ?? 0.1,
    minRemainingMs: refresh.minRemainingMs ?? 30_000,
  };
  const token = new Token({ value: "x", obtainedAt: 0, expiresAt: lifetimeMs });
  const draws = 1_000;
  let sum = 0;
  for (let draw = 0; draw < draws; draw++) {
    sum += refreshPoint(token, options, ((draw + 0.5) / draws) ** (1 / sources));
  }
  return sum / draws;
}

/** What one source ran into since it last took a token: what its next auth call is put down to. */
interface SourceContext {
  stale: boolean;
  fault: "unreachable" | "slow" | undefined;
  lease: LeaseOutcome | undefined;
}

function freshContext(): SourceContext {
  return { stale: false, fault: undefined, lease: undefined };
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
  history: Map<string, { at: number; value: string | null }[]>,
  io: InFlight,
  time: SimulatedTime,
  random: () => number,
  options: FleetOptions,
  counted: { stale: number },
  context: () => SourceContext,
): KvNamespaceLike {
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
      if (value !== fresh) {
        counted.stale += 1;
        context().stale = true;
      }
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
  context: () => SourceContext,
): TokenLease {
  /** `acquiring`: a fault then is put down to this source's next auth call (a release's is not). */
  async function disturb(acquiring: boolean): Promise<void> {
    const roll = random();
    if (roll < options.leaseFailChance) {
      counted.faults += 1;
      if (acquiring) context().fault = "unreachable";
      throw new Error("lease unreachable");
    }
    if (roll < options.leaseFailChance + options.leaseSlowChance) {
      counted.faults += 1;
      if (acquiring) context().fault ??= "slow";
      await time.sleep(random() * options.slowLeaseMs);
    }
  }
  return {
    async acquire(key, holder, now, until) {
      await disturb(true);
      return io.track(() => lease.acquire(key, holder, now, until));
    },
    async release(key, holder, settled) {
      await disturb(false);
      return io.track(() => lease.release(key, holder, settled));
    },
    // No fault here: the Durable Object lease answers `settled` from what its last acquire
    // heard, without a round trip of its own.
    async settled(key) {
      return lease.settled?.(key);
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
  const calls: Record<CallCause, number> = {
    first: 0,
    renewal: 0,
    coldStart: 0,
    leaseUnreachable: 0,
    leaseSlow: 0,
    leaseBusy: 0,
    staleRead: 0,
    other: 0,
  };
  let authCalls = 0;
  let refreshTokenReuse = 0;
  /** When the newest token was issued (simulated time). */
  let lastIssuedAt: number | undefined;
  let firstToken: Token | undefined;

  /** Puts an auth call by source `index` down to a cause (see {@link CallCause}). */
  function cause(index: number): CallCause {
    if (lastIssuedAt === undefined) return "first";
    const lifetime = firstToken?.lifetime ?? 0;
    if (lifetime > 0 && time.now - lastIssuedAt >= lifetime / 2) return "renewal";
    if (sources[index]?.toJSON().cached !== true) return "coldStart";
    const context = contexts[index] ?? freshContext();
    if (context.fault === "unreachable") return "leaseUnreachable";
    if (context.fault === "slow") return "leaseSlow";
    if (context.lease === "timed_out") return "leaseBusy";
    if (context.stale) return "staleRead";
    return "other";
  }

  async function answer(
    index: number,
    input: Request | string | URL,
    init?: RequestInit,
  ): Promise<Response> {
    const request = new Request(input, init);
    const path = new URL(request.url).pathname;
    const auth = AUTH_PATHS.includes(path);
    if (path === "/paymentsgate/auth/token/refresh") {
      const body = (await request.clone().json()) as { refresh_token?: string };
      const handle = body.refresh_token ?? "";
      if (redeemed.has(handle)) refreshTokenReuse += 1;
      redeemed.add(handle);
    }
    const why = auth ? cause(index) : undefined;
    if (auth) lastIssuedAt = time.now;
    const response = await emulator.fetch(request);
    if (why !== undefined) {
      authCalls += 1;
      calls[why] += 1;
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
  // One KV namespace (and its history, for stale reads) for the fleet; everything else per
  // source, as each isolate has its own: the store and lease clients (the lease client keeps
  // what its last acquire heard), the provider object, the random draws, the memory.
  const history = new Map<string, { at: number; value: string | null }[]>();
  const contexts = Array.from({ length: options.sources }, freshContext);
  const sources = Array.from({ length: options.sources }, (_, index) => {
    const context = (): SourceContext => {
      const found = contexts[index];
      if (found === undefined) throw new Error(`no source ${index}`);
      return found;
    };
    const kv = staleReads(options.kv, history, io, time, random, options, counted, context);
    const store = createKvStore(kv, { now: () => time.now });
    const lease =
      options.leases === undefined
        ? undefined
        : flakyLease(
            createDurableObjectLease(options.leases),
            io,
            time,
            random,
            options,
            counted,
            context,
          );
    const runtime = {
      fetch: (input: Request | string | URL, init?: RequestInit) =>
        io.track(() => answer(index, input, init)),
      now: () => time.now,
      sleep: time.sleep,
      random: seeded(options.seed + 1 + index),
    };
    return createTokenSource(providerFor(), {
      ...options.refresh,
      store,
      lease,
      runtime,
      onEvent: (event) => {
        if (event.type === "lease") context().lease = event.outcome;
        // A token taken: what comes next is put down to what this source meets from now on.
        if (event.type === "obtained") contexts[index] = freshContext();
      },
    });
  });

  let requests = 0;
  let expiredServed = 0;
  let waitedOnProvider = 0;
  let waitedCold = 0;
  const warm = new Set<number>(); // the sources that have had a token
  /** Each token's lifetime, by value: they differ (Papaya's expiry is to the minute). */
  const lifetimes = new Map<string, number>();
  const pending = new Set<Promise<void>>();

  function request(index: number): void {
    const source = sources[index];
    if (source === undefined) return;
    requests += 1;
    const askedAfterFirst = firstToken !== undefined;
    const callsBefore = authCalls;
    const cold = !warm.has(index);
    const done = source.get().then(
      (token) => {
        warm.add(index);
        firstToken ??= token;
        lifetimes.set(token.value, token.lifetime);
        if (token.expiresAt <= time.now) expiredServed += 1;
        // It waited on a provider call if it got a token an auth call issued after it asked.
        const issuedBy = issued.get(token.value) ?? 0;
        if (askedAfterFirst && issuedBy > callsBefore) {
          waitedOnProvider += 1;
          if (cold) waitedCold += 1;
        }
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
    // refresh behind the cached token): turns of it until none is in flight. Whatever is left
    // after that waits on the simulated clock (lease polling, a slow lease). A request served
    // from memory settles in a few microtasks: those are let run first, so a step with no I/O
    // costs no turn of the event loop (it only makes the run faster).
    for (let round = 0; round < 1000; round++) {
      for (let hop = 0; hop < 8; hop++) await Promise.resolve();
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

  const all = [...lifetimes.values()];
  // The mean lifetime, to the second (a provider call that spans a simulated step makes a token
  // a few ms short).
  const lifetimeMs =
    all.length === 0 ? 0 : Math.round(all.reduce((a, b) => a + b, 0) / all.length / 1000) * 1000;
  const span = (lifeMs: number): number =>
    lifeMs > 0 ? Math.ceil(options.durationMs / lifeMs) : 0;
  return {
    sources: options.sources,
    requests,
    authCalls,
    tokenLifetimes: span(lifetimeMs),
    expiredServed,
    waitedOnProvider,
    refreshTokenReuse,
    waitedCold,
    tokenServiceLives: span(lifetimeMs > 0 ? meanServiceLifeMs(lifetimeMs, options.refresh) : 0),
    // Under a lease the sources draw their refresh point from the token (`tokenDraw`), so they
    // agree on one and the fleet's service life is one source's; without one, each draws its
    // own and the fleet renews at the earliest of them.
    fleetServiceLives: span(
      lifetimeMs > 0
        ? meanServiceLifeMs(
            lifetimeMs,
            options.refresh,
            options.leases === undefined ? options.sources : 1,
          )
        : 0,
    ),
    lifetimeMs,
    storeStaleReads: counted.stale,
    leaseFaults: counted.faults,
    calls,
  };
}
