/**
 * KV faults: token sources on createKvStore over the real local KV binding, wrapped so that `get`,
 * `put` or `delete` throws, `get` answers a stale value, or a corrupt or foreign value sits under
 * our key — one named test per row of test/support/kv-faults.ts. Never a crash, never an expired
 * or foreign token, a new token from the provider where there must be one (with the row's auth
 * calls, as the emulator counts them), and a `store_failed` event for each KV failure.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import faultsPage from "../../docs/reliability/faults.md?raw";
import { createEmulator, type Emulator } from "../../src/emulator/index.ts";
import {
  createKvStore,
  createTokenSource,
  ipospays,
  type KvNamespaceLike,
  type Provider,
  papaya,
  paymentsGate,
  storeKeyName,
  type Token,
  type TokenSource,
  type TokenSourceEvent,
} from "../../src/index.ts";
import { Clock, T0 } from "../support/double.ts";
import type { Calls } from "../support/fault-matrix.ts";
import {
  CORRUPT_VALUES,
  FOREIGN,
  KV_FAULTS,
  type KvFaultRow,
  kvFaultsMarkdown,
} from "../support/kv-faults.ts";
import { tableCells } from "../support/markdown-tables.ts";

const EMULATOR = "https://emulator.test";
const FLOOR_MS = 30_000;
const MERCHANT = { apiKey: "demo-merchant-key", secretKey: "demo-merchant-secret" };

const merchant = (): Provider =>
  ipospays({
    ...MERCHANT,
    scope: "PaymentTokenization",
    expiryMinutes: 30,
    baseUrl: `${EMULATOR}/ipospays`,
  });

const gate = (): Provider =>
  paymentsGate({
    accountId: "00000000-0000-4000-8000-000000000001",
    publicKey: "demo-public-key",
    baseUrl: `${EMULATOR}/paymentsgate`,
  });

/** Sources that differ from {@link merchant} in one part of their key, by FOREIGN label. */
const FOREIGN_PROVIDERS: Record<string, () => Provider> = {
  "another scope": () =>
    ipospays({
      ...MERCHANT,
      scope: "Recurring",
      expiryMinutes: 30,
      baseUrl: `${EMULATOR}/ipospays`,
    }),
  "another provider": () =>
    papaya({
      apiKey: "demo-papaya-key",
      clientSecret: "demo-papaya-secret",
      baseUrl: `${EMULATOR}/papaya`,
    }),
  "another endpoint": () =>
    ipospays({
      ...MERCHANT,
      scope: "PaymentTokenization",
      expiryMinutes: 30,
      baseUrl: "https://mirror.emulator.test/ipospays",
    }),
  "another credential": () =>
    ipospays({
      apiKey: "demo-iso-key",
      secretKey: "demo-iso-secret",
      scope: "PaymentTokenization",
      expiryMinutes: 30,
      baseUrl: `${EMULATOR}/ipospays`,
    }),
};

interface KvFaults {
  get?: "throw" | "stale" | "hang";
  put?: "throw" | "hang";
  delete?: "throw";
}

/** A KV call that never answers. */
const never = (): Promise<never> => new Promise<never>(() => {});

/** The source's deadline here: a store call is given up on after a quarter of it. */
const DEADLINE_MS = 2_000;

/**
 * The real binding, with the faults the test switches on. `stale`: `get` answers the value that
 * was there before the last `put` through this wrapper, as an eventually consistent read does.
 */
function faultyKv(kv: KVNamespace, faults: KvFaults): KvNamespaceLike {
  const written = new Map<string, string[]>();
  return {
    async get(key, type) {
      if (faults.get === "throw") throw new Error("KV GET failed: 503 Service Unavailable");
      if (faults.get === "hang") return never();
      const history = written.get(key) ?? [];
      if (faults.get === "stale" && history.length >= 2) return history.at(-2) ?? null;
      return kv.get(key, type);
    },
    async put(key, value, options) {
      if (faults.put === "throw") throw new Error("KV PUT failed: 429 Too Many Requests");
      if (faults.put === "hang") return never();
      written.set(key, [...(written.get(key) ?? []), value]);
      await kv.put(key, value, options);
    },
    async delete(key) {
      if (faults.delete === "throw") throw new Error("KV DELETE failed: 500");
      await kv.delete(key);
    },
  };
}

/** Calls to every provider's token and refresh endpoints, as the emulator counted them. */
function authCalls(emulator: Emulator): Calls {
  const calls: Calls = { token: 0, refresh: 0 };
  for (const [name, count] of Object.entries(emulator.calls())) {
    if (/\/(api|deals|v1\/payments)/.test(name)) continue;
    calls[/refresh/.test(name) ? "refresh" : "token"] += count;
  }
  return calls;
}

interface World {
  clock: Clock;
  faults: KvFaults;
  events: TokenSourceEvent[];
  /** A new token source (a new instance) on the faulty KV. */
  source(provider?: Provider): TokenSource;
  /** What our key holds in KV now, read past the faults. */
  stored(provider?: Provider): Promise<Token | undefined>;
}

function world(emulator: Emulator, clock: Clock): World {
  const faults: KvFaults = {};
  const kv = faultyKv(env.TOKENS, faults);
  const events: TokenSourceEvent[] = [];
  return {
    clock,
    faults,
    events,
    source: (provider = merchant()) =>
      createTokenSource(provider, {
        store: createKvStore(kv, { now: clock.now }),
        onEvent: (event) => events.push(event),
        deadlineMs: DEADLINE_MS,
        runtime: { fetch: emulator.fetch, now: clock.now, random: () => 0 },
      }),
    stored: async (provider = merchant()) =>
      createKvStore(env.TOKENS, { now: clock.now }).get(await storeKeyName(provider.key)),
  };
}

/** get() with an execution context, then waits for any refresh it started behind the caller. */
async function settle(source: TokenSource): Promise<Token> {
  const ctx = createExecutionContext();
  const token = await source.get({ ctx });
  await waitOnExecutionContext(ctx);
  return token;
}

function expectAlive(w: World, token: Token): void {
  expect(token.expiresAt - w.clock.now()).toBeGreaterThan(FLOOR_MS);
}

/** Moves the clock into the token's refresh window: 15 % of its lifetime left. */
function intoWindow(w: World, token: Token): void {
  w.clock.t = token.expiresAt - 0.15 * token.lifetime;
}

/** Obtains a token, then refreshes it in its window: the store has had two writes. */
async function twoWrites(w: World, source: TokenSource): Promise<[Token, Token]> {
  const older = await source.get();
  intoWindow(w, older);
  await settle(source);
  const newer = await source.get();
  expect(newer.value).not.toBe(older.value);
  return [older, newer];
}

type Runner = (w: World, start: () => void) => Promise<void>;

const RUNNERS: Record<string, Runner> = {
  "get-throws-cold": async (w, start) => {
    start();
    w.faults.get = "throw";
    const token = await w.source().get();
    expectAlive(w, token);
    expect((await w.stored())?.value).toBe(token.value);
  },
  "get-throws-window": async (w, start) => {
    const source = w.source();
    const cached = await source.get();
    intoWindow(w, cached);
    start();
    w.faults.get = "throw";
    expect(await settle(source)).toBe(cached);
    const refreshed = await source.get();
    expect(refreshed.value).not.toBe(cached.value);
    expectAlive(w, refreshed);
  },
  "get-hangs": async (w, start) => {
    start();
    w.faults.get = "hang";
    const token = await w.source().get();
    expectAlive(w, token);
    expect((await w.stored())?.value).toBe(token.value);
  },
  "put-hangs": async (w, start) => {
    start();
    w.faults.put = "hang";
    const source = w.source();
    const token = await source.get();
    expectAlive(w, token);
    expect(await source.get()).toBe(token);
  },
  "put-throws": async (w, start) => {
    start();
    w.faults.put = "throw";
    const first = await w.source().get();
    const second = await w.source().get();
    expectAlive(w, first);
    expectAlive(w, second);
    expect(second.value).not.toBe(first.value);
    expect(await w.stored()).toBeUndefined();
  },
  "delete-throws": async (w, start) => {
    const source = w.source();
    const first = await source.get();
    start();
    w.faults.delete = "throw";
    await expect(source.invalidate()).resolves.toBeUndefined();
    const next = await source.get();
    expect(next.value).not.toBe(first.value);
    expectAlive(w, next);
  },
  "stale-newer-held": async (w, start) => {
    const source = w.source();
    const [older, newer] = await twoWrites(w, source);
    w.faults.get = "stale";
    intoWindow(w, newer);
    start();
    expect(await settle(source)).toBe(newer);
    const refreshed = await source.get();
    expect([older.value, newer.value]).not.toContain(refreshed.value);
    expectAlive(w, refreshed);
  },
  "stale-expired": async (w, start) => {
    const [older] = await twoWrites(w, w.source());
    w.faults.get = "stale";
    w.clock.t = older.expiresAt + 1_000;
    start();
    const token = await w.source().get();
    expect(token.value).not.toBe(older.value);
    expectAlive(w, token);
  },
  "stale-below-floor": async (w, start) => {
    const [older] = await twoWrites(w, w.source());
    w.faults.get = "stale";
    w.clock.t = older.expiresAt - 15_000;
    start();
    const token = await w.source().get();
    expect(token.value).not.toBe(older.value);
    expectAlive(w, token);
  },
  "stale-rotated": async (w, start) => {
    const [older, newer] = await twoWrites(w, w.source(gate()));
    w.faults.get = "stale";
    start();
    const token = await w.source(gate()).get();
    expect([older.value, newer.value]).not.toContain(token.value);
    expectAlive(w, token);
  },
};

for (const { label, raw } of CORRUPT_VALUES) {
  RUNNERS[`corrupt-${label}`] = async (w, start) => {
    const key = await storeKeyName(merchant().key);
    start();
    await env.TOKENS.put(key, raw(w.clock.now(), key));
    const token = await w.source().get();
    expect(token.value).not.toBe("corrupt-token-value");
    expectAlive(w, token);
    expect((await w.stored())?.value).toBe(token.value);
  };
}

for (const { label } of FOREIGN) {
  RUNNERS[`foreign-${label}`] = async (w, start) => {
    const other = FOREIGN_PROVIDERS[label];
    if (other === undefined) throw new Error(`no provider for ${label}`);
    const foreign = await w.source(other()).get();
    const theirs = await env.TOKENS.get(await storeKeyName(other().key), "text");
    expect(theirs).not.toBeNull();
    // The foreign record, copied under our key as it is.
    await env.TOKENS.put(await storeKeyName(merchant().key), theirs ?? "");
    start();
    const token = await w.source().get();
    expect(token.value).not.toBe(foreign.value);
    expectAlive(w, token);
    expect((await w.stored())?.value).toBe(token.value);
  };
}

/** Empties the namespace: every row starts without the tokens of the one before. */
async function clearKv(): Promise<void> {
  for (;;) {
    const listed = await env.TOKENS.list();
    await Promise.all(listed.keys.map((key) => env.TOKENS.delete(key.name)));
    if (listed.list_complete) return;
  }
}

// One emulator for the file (its signing key takes a while to make), reset for every row.
const clock = new Clock();
const emulator = createEmulator({ now: clock.now });

describe("KV faults", () => {
  beforeEach(async () => {
    emulator.reset();
    clock.t = T0;
    await clearKv();
  });

  it.each(KV_FAULTS.map((row) => [`${row.fault} · ${row.state}`, row] as const))(
    "%s",
    async (_name, row: KvFaultRow) => {
      const w = world(emulator, clock);
      const run = RUNNERS[row.id];
      if (run === undefined) throw new Error(`no runner for ${row.id}`);
      let before: Calls | undefined;
      await run(w, () => {
        before = authCalls(emulator);
        w.events.length = 0;
      });
      if (before === undefined) throw new Error("the runner never started measuring");
      const after = authCalls(emulator);
      expect({
        token: after.token - before.token,
        refresh: after.refresh - before.refresh,
      }).toEqual({ token: row.calls.token ?? 0, refresh: row.calls.refresh ?? 0 });
      const failed = w.events.flatMap((event) =>
        event.type === "store_failed" ? [event.operation] : [],
      );
      expect(failed, "store_failed events").toEqual(row.events);
    },
  );
});

describe("docs/reliability/faults.md", () => {
  it("shows this table, as `npm run reliability:faults` writes it", () => {
    expect(tableCells(faultsPage)).toContain(tableCells(kvFaultsMarkdown()));
  });
});
