// The Deno KV store's compare-and-delete and the Deno KV lease under Deno, against a real Deno
// KV (in memory, or a temporary file opened by several handles), no stand-in: the lease's
// exclusivity, lapse and compare-and-delete release, the settled time; then token sources
// sharing one database — the auth calls of one source alone, a holder that dies holding the
// lease, a lease that throws or hangs. Run by `npm run test:runtimes` with `deno test --unstable-kv`.
// The separate processes are in deno-kv-fleet.test.ts.

import {
  createDenoKvLease,
  createDenoKvNamespace,
  createDenoKvStore,
  createKvStore,
  createTokenSource,
  type DenoKvAtomicLike,
  type Provider,
  storeKeyName,
  Token,
  type TokenSource,
  type TokenSourceEvent,
  type TokenSourceOptions,
} from "../../src/index.ts";
import {
  aloneCalls,
  countedEmulator,
  equal,
  HOUR,
  MINUTE,
  ok,
  type ProviderName,
  provider,
  T0,
} from "./deno-kv-support.ts";

async function withKv(run: (kv: Deno.Kv) => Promise<void>): Promise<void> {
  const kv = await Deno.openKv(":memory:");
  try {
    await run(kv);
  } finally {
    kv.close();
  }
}

const leaseKey = (key: string) => ["edgetoken", "lease", key];
const settledKey = (key: string) => ["edgetoken", "settled", key];

function token(value: string, at = T0, lifetime = HOUR): Token {
  return new Token({ value, obtainedAt: at, expiresAt: at + lifetime });
}

// ---------------------------------------------------------------------------------------------
// The lease on its own

Deno.test("the lease: one holder at a time; the holder may take it again; it lapses at until", () =>
  withKv(async (kv) => {
    const lease = createDenoKvLease(kv);
    equal(await lease.acquire("k", "a", T0, T0 + 15_000), true, "a, first");
    equal(await lease.acquire("k", "b", T0 + 1_000, T0 + 16_000), false, "b while a holds it");
    equal(await lease.acquire("k", "a", T0 + 2_000, T0 + 17_000), true, "a again (extends)");
    equal(await lease.acquire("k", "b", T0 + 16_999, T0 + 31_999), false, "b before a's until");
    // Deno KV deletes expired entries lazily (and this one's expireIn is 15 s of real time, not
    // yet up): the record is still there, and the lease compares `until` itself.
    const raw = await kv.get<{ holder: string; until: number }>(leaseKey("k"));
    equal(
      raw.value,
      { holder: "a", until: T0 + 17_000, taken: T0 + 2_000 },
      "the record when b comes",
    );
    equal(await lease.acquire("k", "b", T0 + 17_000, T0 + 32_000), true, "b once a's lapsed");
    equal(
      (await kv.get(leaseKey("k"))).value,
      { holder: "b", until: T0 + 32_000, taken: T0 + 17_000 },
      "b's record",
    );
  }));

Deno.test("the lease's record is kept in Deno KV for the lease's length (expireIn)", () =>
  withKv(async (kv) => {
    const expireIns: Array<number | undefined> = [];
    // Forwards to the real database, keeping note of what each atomic set asked.
    const recording: DenoKvAtomicLike = {
      get: (key, options) => kv.get(key, options),
      set: (key, value, options) => kv.set(key, value, options),
      delete: (key) => kv.delete(key),
      atomic() {
        const inner = kv.atomic();
        const operation = {
          check(...checks: { key: readonly string[]; versionstamp: string | null }[]) {
            inner.check(...checks);
            return operation;
          },
          set(key: readonly string[], value: unknown, options?: { expireIn?: number }) {
            expireIns.push(options?.expireIn);
            inner.set(key, value, options);
            return operation;
          },
          delete(key: readonly string[]) {
            inner.delete(key);
            return operation;
          },
          commit: () => inner.commit(),
        };
        return operation;
      },
    };
    const lease = createDenoKvLease(recording);
    equal(await lease.acquire("k", "a", T0, T0 + 40), true, "acquired");
    equal(await lease.acquire("k", "a", T0 + 10, T0 + 15_010), true, "taken again");
    equal(expireIns, [40, 15_000], "expireIn of each lease record");
  }));

Deno.test("release is compare-and-delete: a holder whose lease lapsed never releases the next one's", () =>
  withKv(async (kv) => {
    const lease = createDenoKvLease(kv);
    equal(await lease.acquire("k", "slow", T0, T0 + 1_000), true, "slow");
    equal(await lease.acquire("k", "next", T0 + 1_000, T0 + 16_000), true, "next, after lapse");
    await lease.release("k", "slow"); // late: its versionstamp is not the record's any more
    equal(
      (await kv.get(leaseKey("k"))).value,
      { holder: "next", until: T0 + 16_000, taken: T0 + 1_000 },
      "after",
    );
    equal(await lease.acquire("k", "third", T0 + 2_000, T0 + 17_000), false, "third");
    await lease.release("k", "next");
    equal((await kv.get(leaseKey("k"))).versionstamp, null, "deleted by its holder");
    equal(await lease.acquire("k", "third", T0 + 2_000, T0 + 17_000), true, "third, after");

    // Taken through another lease object on the same database: released only by its holder.
    const other = createDenoKvLease(kv);
    await other.release("k", "somebody");
    equal(((await kv.get(leaseKey("k"))).value as { holder?: string }).holder, "third", "kept");
    await other.release("k", "third");
    equal((await kv.get(leaseKey("k"))).versionstamp, null, "released through the other object");
    await lease.release("k", "never-held");
    equal(await lease.acquire("k", "fourth", T0 + 3_000, T0 + 18_000), true, "free");
  }));

Deno.test("a settled time that cannot be written does not keep the lease held", () =>
  withKv(async (kv) => {
    // The real database, except that any write of a settled time fails.
    const failing: DenoKvAtomicLike = {
      get: (key, options) => kv.get(key, options),
      set: (key, value, options) => kv.set(key, value, options),
      delete: (key) => kv.delete(key),
      atomic() {
        const inner = kv.atomic();
        let settling = false;
        const operation = {
          check(...checks: { key: readonly string[]; versionstamp: string | null }[]) {
            inner.check(...checks);
            return operation;
          },
          set(key: readonly string[], value: unknown, options?: { expireIn?: number }) {
            settling ||= key.includes("settled");
            inner.set(key, value, options);
            return operation;
          },
          delete(key: readonly string[]) {
            inner.delete(key);
            return operation;
          },
          commit: () =>
            settling ? Promise.reject(new TypeError("database is locked")) : inner.commit(),
        };
        return operation;
      },
    };
    const lease = createDenoKvLease(failing);
    equal(await lease.acquire("k", "a", T0, T0 + 10_000), true, "a");
    const released = await lease.release("k", "a", T0 + 1).then(
      () => "resolved",
      () => "rejected",
    );
    equal(released, "rejected", "the release, its settled time unwritten");
    equal((await kv.get(leaseKey("k"))).versionstamp, null, "the lease, given back all the same");
    equal(await lease.acquire("k", "b", T0 + 1, T0 + 10_001), true, "b, at once");
  }));

Deno.test("the settled time reaches the next holder with its acquire, and only moves forward", () =>
  withKv(async (kv) => {
    const lease = createDenoKvLease(kv);
    const next = createDenoKvLease(kv); // another instance: nothing remembered
    equal(await lease.acquire("k", "a", T0, T0 + 10_000), true, "a");
    equal(await lease.settled?.("k"), undefined, "settled before any release");
    await lease.release("k", "a", T0 + 1_500);
    equal(await next.acquire("k", "b", T0, T0 + 10_000), true, "b");
    equal(await next.settled?.("k"), T0 + 1_500, "what b hears");
    await next.release("k", "b", T0 + 1_000); // older: kept at 1 500
    equal((await kv.get(settledKey("k"))).value, T0 + 1_500, "an older settled time");
    await next.release("k", "late", T0 + 2_000); // a token stored is a token stored
    equal((await kv.get(settledKey("k"))).value, T0 + 2_000, "a lapsed holder's newer one");
    await next.release("k", "late", Number.NaN);
    equal((await kv.get(settledKey("k"))).value, T0 + 2_000, "NaN is no time");
  }));

Deno.test("a lease that lapses unreleased counts as settled at its take (its holder may have spent a handle)", () =>
  withKv(async (kv) => {
    const lease = createDenoKvLease(kv);
    const next = createDenoKvLease(kv); // another instance: nothing remembered
    equal(await lease.acquire("k", "a", T0, T0 + 10_000), true, "a");
    await lease.release("k", "a", T0 + 1_000);
    equal(await lease.acquire("k", "dies", T0 + 5_000, T0 + 15_000), true, "dies");
    // "dies" spent a rotating handle and never stored nor released: its lease lapses.
    equal(await next.acquire("k", "b", T0 + 16_000, T0 + 26_000), true, "b, after the lapse");
    equal(await next.settled?.("k"), T0 + 5_000, "settled at the dead holder's take");
    equal((await kv.get(settledKey("k"))).value, T0 + 5_000, "kept for the next ones too");
    await next.release("k", "b");
    // A lapse never moves the settled time back.
    await lease.release("k", "c", T0 + 30_000);
    equal(await lease.acquire("k", "dies-again", T0 + 20_000, T0 + 21_000), true, "dies again");
    equal(await next.acquire("k", "d", T0 + 22_000, T0 + 32_000), true, "d");
    equal(await next.settled?.("k"), T0 + 30_000, "the newer settled time stays");
  }));

Deno.test("values the lease did not write hold nothing and tell nothing", () =>
  withKv(async (kv) => {
    const lease = createDenoKvLease(kv);
    for (const junk of ["a string", { holder: "x", until: "later" }, { holder: 5, until: 1e15 }]) {
      await kv.set(leaseKey("k"), junk);
      await kv.set(settledKey("k"), "12");
      equal(await lease.acquire("k", "a", T0, T0 + 10_000), true, `over ${JSON.stringify(junk)}`);
      equal(await lease.settled?.("k"), undefined, "a settled time that is not a number");
      await lease.release("k", "a");
    }
    // A prefix of one's own: nothing under the default one is read or written.
    const mine = createDenoKvLease(kv, { prefix: ["app", "leases"] });
    await kv.set(leaseKey("k"), { holder: "someone", until: T0 + 60_000 });
    equal(await mine.acquire("k", "a", T0, T0 + 10_000), true, "under another prefix");
    equal(
      ((await kv.get(["app", "leases", "lease", "k"])).value as { holder: string }).holder,
      "a",
      "",
    );
  }));

Deno.test("any holder name holds the lease; a time that is not finite is refused", () =>
  withKv(async (kv) => {
    const lease = createDenoKvLease(kv);
    for (const holder of ["", "x".repeat(1_000)]) {
      equal(await lease.acquire(holder, holder, T0, T0 + 10_000), true, `${holder.length} chars`);
      equal(await lease.acquire(holder, "other", T0, T0 + 10_000), false, "another, meanwhile");
    }
    for (const [now, until] of [
      [Number.NaN, T0],
      [T0, Number.POSITIVE_INFINITY],
    ]) {
      const outcome = await lease.acquire("k", "a", now as number, until as number).then(
        () => "resolved",
        (error: unknown) => (error instanceof TypeError ? "TypeError" : String(error)),
      );
      equal(outcome, "TypeError", `now ${now}, until ${until}`);
    }
    equal((await kv.get(leaseKey("k"))).versionstamp, null, "nothing written");
  }));

Deno.test("a Deno KV that answers something unexpected is an error, never a lease", async () => {
  const odd = (entry: unknown, committed: unknown): DenoKvAtomicLike => {
    const operation = {
      check: () => operation,
      set: () => operation,
      delete: () => operation,
      commit: async () => committed as { ok: boolean },
    };
    return {
      get: async () => entry as { value: unknown; versionstamp: string | null },
      set: async () => undefined,
      delete: async () => undefined,
      atomic: () => operation,
    };
  };
  const cases: Array<[string, DenoKvAtomicLike]> = [
    ["an entry without a versionstamp", odd({ value: null }, { ok: true, versionstamp: "01" })],
    ["a commit without an answer", odd({ value: null, versionstamp: null }, undefined)],
    ["a commit ok without a versionstamp", odd({ value: null, versionstamp: null }, { ok: true })],
  ];
  for (const [what, kv] of cases) {
    const outcome = await createDenoKvLease(kv)
      .acquire("k", "a", T0, T0 + 10_000)
      .then(
        (held) => `resolved ${held}`,
        (error: unknown) => (error instanceof TypeError ? "TypeError" : String(error)),
      );
    equal(outcome, "TypeError", what);
  }
});

Deno.test("holders racing on one key: exactly one wins, over several handles on one file", async () => {
  const folder = await Deno.makeTempDir({ prefix: "edgetoken-denokv-" });
  const handles = await Promise.all([1, 2, 3].map(() => Deno.openKv(`${folder}/kv.sqlite3`)));
  try {
    for (let round = 0; round < 5; round++) {
      const key = `k${round}`;
      const tries = handles.flatMap((kv, h) =>
        [0, 1, 2, 3].map((i) => createDenoKvLease(kv).acquire(key, `h${h}-${i}`, T0, T0 + 10_000)),
      );
      const won = (await Promise.all(tries)).filter(Boolean).length;
      equal(won, 1, `holders that won round ${round}`);
    }
  } finally {
    for (const kv of handles) kv.close();
    await Deno.remove(folder, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------------
// The store's compare-and-delete

Deno.test("createDenoKvStore: round trip, expireIn in ms, and the same records as the namespace", () =>
  withKv(async (kv) => {
    let t = T0;
    const now = () => t;
    const store = createDenoKvStore(kv, { now });
    const viaNamespace = createKvStore(createDenoKvNamespace(kv), { now });
    await store.set("k", token("ours", T0, 90_000));
    equal((await store.get("k"))?.value, "ours", "read back");
    equal((await viaNamespace.get("k"))?.value, "ours", "read through createDenoKvNamespace");
    await viaNamespace.set("j", token("theirs"));
    equal((await store.get("j"))?.value, "theirs", "the namespace's record, read by the store");
    t += 91_000;
    equal(await store.get("k"), undefined, "past its expiry");
    await kv.set(["edgetoken", "x"], { not: "a record" });
    equal(await store.get("x"), undefined, "an object value");
    await kv.set(["edgetoken", "x"], "{corrupt");
    equal(await store.get("x"), undefined, "corrupt text");
    await store.delete("j");
    equal((await kv.get(["edgetoken", "j"])).versionstamp, null, "deleted");
  }));

Deno.test("deleteIf deletes our token and a value nobody can read, and leaves another's", () =>
  withKv(async (kv) => {
    const store = createDenoKvStore(kv, { now: () => T0 });
    await store.deleteIf?.("k", "ours"); // nothing there
    await store.set("k", token("ours"));
    await store.deleteIf?.("k", "ours");
    equal((await kv.get(["edgetoken", "k"])).versionstamp, null, "ours, deleted");
    await store.set("k", token("newer", T0 + 1));
    await store.deleteIf?.("k", "ours");
    equal((await store.get("k"))?.value, "newer", "another's, kept");
    await kv.set(["edgetoken", "k"], "{corrupt");
    await store.deleteIf?.("k", "ours");
    equal((await kv.get(["edgetoken", "k"])).versionstamp, null, "unreadable, deleted");
  }));

Deno.test("deleteIf is compare-and-delete: a token stored between its read and its delete survives", () =>
  withKv(async (kv) => {
    const writer = createDenoKvStore(kv, { now: () => T0 });
    await writer.set("k", token("ours"));
    // Another instance stores a newer token right after our read of the old one.
    const racing: DenoKvAtomicLike = {
      get: async (key, options) => {
        const entry = await kv.get(key, options);
        await writer.set("k", token("newer", T0 + 1));
        return entry;
      },
      set: (key, value, options) => kv.set(key, value, options),
      delete: (key) => kv.delete(key),
      atomic: () => kv.atomic(),
    };
    await createDenoKvStore(racing, { now: () => T0 }).deleteIf?.("k", "ours");
    equal((await writer.get("k"))?.value, "newer", "the token stored in between");
  }));

Deno.test("invalidate() on one source leaves the newer token another source stored", () =>
  withKv(async (kv) => {
    let issued = 0;
    const fake: Provider = {
      key: { provider: "test", environment: "sandbox", credentialId: "c", scope: "payments" },
      obtain: async () => token(`at-${++issued}`),
      apply: (request) => request,
    };
    const make = () =>
      createTokenSource(fake, {
        store: createDenoKvStore(kv, { now: () => T0 }),
        lease: createDenoKvLease(kv),
        runtime: { now: () => T0, random: () => 0 },
      });
    const a = make();
    const b = make();
    equal((await a.get()).value, "at-1", "a");
    equal((await b.get()).value, "at-1", "b, from Deno KV");
    await b.invalidate();
    equal((await b.get()).value, "at-2", "b after invalidate");
    await a.invalidate(); // a still had at-1: at-2 is not a's to delete
    equal((await make().get()).value, "at-2", "a new source");
    equal(issued, 2, "tokens issued");
  }));

// ---------------------------------------------------------------------------------------------
// Token sources sharing one Deno KV

interface Fleet {
  sources: TokenSource[];
  events: TokenSourceEvent[][];
  /** Every source asks once at the clock's time; resolves once their background work is done. */
  step(): Promise<{ expired: number; maxMs: number }>;
}

function fleet(
  count: number,
  make: (index: number) => TokenSourceOptions,
  p: Provider,
  now: () => number,
): Fleet {
  const events: TokenSourceEvent[][] = [];
  const sources = Array.from({ length: count }, (_, index) => {
    const seen: TokenSourceEvent[] = [];
    events.push(seen);
    const options = make(index);
    return createTokenSource(p, { ...options, onEvent: (event) => seen.push(event) });
  });
  return {
    sources,
    events,
    async step() {
      const behind: Promise<unknown>[] = [];
      const ctx = { waitUntil: (promise: Promise<unknown>) => behind.push(promise) };
      let maxMs = 0;
      const tokens = await Promise.all(
        sources.map(async (source) => {
          const started = performance.now();
          const got = await source.get({ ctx });
          maxMs = Math.max(maxMs, performance.now() - started);
          return got;
        }),
      );
      await Promise.all(behind);
      return { expired: tokens.filter((got) => !(got.expiresAt > now())).length, maxMs };
    },
  };
}

/**
 * Waits that were not memory hits, after each source's first (or after its first `from` events):
 * 0 when every refresh ran behind the cached token.
 */
function waitedAfterFirst(events: TokenSourceEvent[][], from?: number[]): number {
  let waited = 0;
  events.forEach((seen, source) => {
    const first = from?.[source] ?? seen.findIndex((event) => event.type === "waited") + 1;
    waited += seen.filter((event, i) => event.type === "waited" && i >= first).length;
  });
  return waited;
}

function leaseOutcomes(events: TokenSourceEvent[][]): Record<string, number> {
  const outcomes: Record<string, number> = {};
  for (const event of events.flat()) {
    if (event.type === "lease") outcomes[event.outcome] = (outcomes[event.outcome] ?? 0) + 1;
  }
  return outcomes;
}

const SOURCES = 8;
const DURATION = 6 * HOUR;
const STEP = 2 * MINUTE;
const LIFETIMES: Record<ProviderName, number> = {
  ipospays: 30 * MINUTE,
  paymentsgate: HOUR,
  papaya: HOUR,
};

Deno.test("eight sources on one Deno KV with the lease make the auth calls of one source alone", async () => {
  const lines: string[] = [];
  for (const withLease of [true, false]) {
    const figures: Record<string, unknown> = { sources: SOURCES, lease: withLease };
    let requests = 0;
    let expired = 0;
    let waited = 0;
    let reuse = 0;
    const authCalls: Record<string, number> = {};
    const alone: Record<string, number> = {};
    const outcomes: Record<string, number> = {};
    await withKv(async (kv) => {
      for (const name of ["ipospays", "paymentsgate", "papaya"] as const) {
        let t = T0;
        const now = () => t;
        const emulator = countedEmulator(now);
        const group = fleet(
          SOURCES,
          () => ({
            store: createDenoKvStore(kv, { now }),
            ...(withLease ? { lease: createDenoKvLease(kv) } : {}),
            refreshJitter: 0,
            runtime: { fetch: emulator.fetch, now, random: () => 0 },
          }),
          provider(name),
          now,
        );
        for (; t < T0 + DURATION; t += STEP) {
          const stepped = await group.step();
          expired += stepped.expired;
          requests += SOURCES;
        }
        authCalls[name] = emulator.authCalls();
        alone[name] = aloneCalls(DURATION, STEP, LIFETIMES[name]);
        reuse += emulator.refreshReuse + emulator.refreshRefused;
        waited += waitedAfterFirst(group.events);
        for (const [outcome, n] of Object.entries(leaseOutcomes(group.events))) {
          outcomes[outcome] = (outcomes[outcome] ?? 0) + n;
        }
      }
    });
    Object.assign(figures, { requests, authCalls, alone, expired, waited, reuse, outcomes });
    lines.push(`DENO KV ${withLease ? "LEASE" : "KV ONLY"} ${JSON.stringify(figures)}`);
    equal(expired, 0, "expired tokens served");
    equal(reuse, 0, "PaymentsGate refresh tokens redeemed twice or refused");
    equal(waited, 0, "requests that waited on the provider after their first token");
    if (withLease) equal(authCalls, alone, "auth calls of eight sources with the lease");
    else ok(authCalls.paymentsgate > alone.paymentsgate, "without the lease, more calls");
  }
  console.log(lines.join("\n"));
});

Deno.test("a holder that dies holding the lease: a source takes over once it lapses", () =>
  withKv(async (kv) => {
    let t = T0;
    const now = () => t;
    const emulator = countedEmulator(now);
    // Another instance took the lease for this key and died before it released it.
    const p = provider("paymentsgate");
    const key = await storeKeyName(p.key);
    equal(await createDenoKvLease(kv).acquire(key, "dead", t, t + 15_000), true, "the dead one");
    const events: TokenSourceEvent[] = [];
    const source = createTokenSource(p, {
      store: createDenoKvStore(kv, { now }),
      lease: createDenoKvLease(kv),
      leaseMs: 15_000,
      deadlineMs: 60_000, // the wait for the dead holder is within it
      onEvent: (event) => events.push(event),
      // The clock moves with every wait, as it would: 250 ms polls add up to the lease's 15 s.
      runtime: {
        fetch: emulator.fetch,
        now,
        random: () => 0,
        sleep: async (ms) => {
          t += ms;
        },
      },
    });
    const got = await source.get();
    ok(got.expiresAt - t > 30_000, "a fresh token");
    equal(emulator.authCalls(), 1, "auth calls");
    const leaseEvents = events.filter((event) => event.type === "lease");
    equal(
      leaseEvents.map((event) => event.outcome),
      ["held"],
      "the source held the lease itself (did not time out)",
    );
    ok(t - T0 >= 15_000, `it waited for the lapse (${t - T0} ms)`);
    equal((await kv.get(leaseKey(key))).versionstamp, null, "released after");
    const settled = (await kv.get(settledKey(key))).value;
    equal(settled, got.obtainedAt, "the settled time it left");
  }));

/** A Deno KV handle whose every call fails, or never answers. */
function broken(kind: "throws" | "hangs"): DenoKvAtomicLike {
  const fail = (): Promise<never> =>
    kind === "throws"
      ? Promise.reject(new TypeError("database is unreachable"))
      : new Promise<never>(() => {});
  const operation = {
    check: () => operation,
    set: () => operation,
    delete: () => operation,
    commit: fail,
  };
  return { get: fail, set: fail, delete: fail, atomic: () => operation };
}

for (const kind of ["throws", "hangs"] as const) {
  for (const what of ["the lease", "the lease and the store"] as const) {
    Deno.test(`${what} ${kind === "throws" ? "throwing" : "hanging"}: single flight per source, within the deadline, nothing expired`, () =>
      withKv(async (kv) => {
        let t = T0;
        const now = () => t;
        const emulator = countedEmulator(now);
        const perSource: number[] = [];
        const deadlineMs = 2_000;
        const group = fleet(
          4,
          (index) => ({
            store: createDenoKvStore(what === "the lease" ? kv : broken(kind), { now }),
            lease: createDenoKvLease(broken(kind)),
            refreshJitter: 0,
            deadlineMs,
            runtime: {
              fetch: (input, init) => {
                perSource[index] = (perSource[index] ?? 0) + 1;
                return emulator.fetch(input, init);
              },
              now,
              random: () => 0,
            },
          }),
          provider("ipospays"),
          now,
        );
        await emulator.emulator.jwks(); // its signing key made, so the clock below is ours
        // Five requests at once per source, cold: one auth call each.
        const started = performance.now();
        const firsts = await Promise.all(
          group.sources.flatMap((source) => [1, 2, 3, 4, 5].map(() => source.get())),
        );
        const coldMs = performance.now() - started;
        ok(coldMs < deadlineMs, `cold gets took ${Math.round(coldMs)} ms, deadline ${deadlineMs}`);
        equal(perSource, [1, 1, 1, 1], "auth calls per source, cold");
        ok(
          firsts.every((got) => got.expiresAt - t > 30_000),
          "fresh tokens",
        );
        const cold = group.events.map((seen) => seen.length);
        let maxMs = 0;
        for (t += STEP; t < T0 + 2 * HOUR; t += STEP) {
          const stepped = await group.step();
          equal(stepped.expired, 0, "expired tokens served");
          maxMs = Math.max(maxMs, stepped.maxMs);
        }
        const alone = aloneCalls(2 * HOUR, STEP, LIFETIMES.ipospays);
        equal(perSource, [alone, alone, alone, alone], "auth calls per source, 2 h");
        ok(maxMs < deadlineMs, `slowest get with a token: ${Math.round(maxMs)} ms`);
        equal(
          waitedAfterFirst(group.events, cold),
          0,
          "waits on the provider after the first token",
        );
        const outcomes = leaseOutcomes(group.events);
        equal(Object.keys(outcomes), ["unavailable"], "what the sources made of the lease");
        console.log(
          `DENO KV ${what} ${kind}: ${JSON.stringify({ perSource, coldMs: Math.round(coldMs), maxMs: Math.round(maxMs), outcomes })}`,
        );
      }));
  }
}
