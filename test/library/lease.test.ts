/**
 * Cross-instance single flight: with a lease, one instance calls the provider per key and the
 * others take its token from the store — including PaymentsGate's rotating refresh token.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createEmulator, type Emulator } from "../../src/emulator/index.ts";
import {
  createDurableObjectLease,
  createKvStore,
  createMemoryStore,
  createTokenSource,
  type DurableObjectNamespaceLike,
  type FetchLike,
  paymentsGate,
  type Token,
  type TokenLease,
  TokenLeaseObject,
  type TokenSourceEvent,
  type TokenStore,
} from "../../src/index.ts";
import { refreshPoint, tokenDraw } from "../../src/schedule.ts";
import { Clock, doubleProvider, FakeServer } from "../support/double.ts";

const MINUTE = 60_000;

/** The emulator's fetch, noting every PaymentsGate refresh token sent. */
function recordingRefreshes(emulator: Emulator): { sent: string[]; recording: FetchLike } {
  const sent: string[] = [];
  const recording: FetchLike = async (input, init) => {
    const request = new Request(input, init);
    if (new URL(request.url).pathname.endsWith("/auth/token/refresh")) {
      sent.push(((await request.clone().json()) as { refresh_token: string }).refresh_token);
    }
    return emulator.fetch(request);
  };
  return { sent, recording };
}

/** The Durable Object class itself, one instance per key, reached the way a binding reaches it. */
function leaseObjects(): DurableObjectNamespaceLike & { objects: Map<string, TokenLeaseObject> } {
  const objects = new Map<string, TokenLeaseObject>();
  return {
    objects,
    idFromName: (name: string) => name,
    get(id: never) {
      const name = id as unknown as string;
      let object = objects.get(name);
      if (object === undefined) {
        object = new TokenLeaseObject();
        objects.set(name, object);
      }
      const found = object;
      return { fetch: (request: Request) => found.fetch(request) };
    },
  };
}

describe("TokenLeaseObject", () => {
  it("gives a key to one holder at a time, until it is released or lapses", async () => {
    const lease = createDurableObjectLease(leaseObjects());
    expect(await lease.acquire("k", "a", 1000, 2000)).toBe(true);
    expect(await lease.acquire("k", "b", 1500, 2500)).toBe(false);
    expect(await lease.acquire("other", "b", 1500, 2500)).toBe(true);
    expect(await lease.acquire("k", "a", 1600, 2600)).toBe(true); // the holder may extend
    await lease.release("k", "b"); // not the holder: no effect
    expect(await lease.acquire("k", "b", 1700, 2700)).toBe(false);
    await lease.release("k", "a");
    expect(await lease.acquire("k", "b", 1800, 2800)).toBe(true);
    expect(await lease.acquire("k", "a", 2900, 3900)).toBe(true); // b's lapsed at 2800
  });

  it("works the same as a real Durable Object behind a binding", async () => {
    const lease = createDurableObjectLease(env.TOKEN_LEASES);
    expect(await lease.acquire("real", "a", 1000, 2000)).toBe(true);
    expect(await lease.acquire("real", "b", 1500, 2500)).toBe(false);
    await lease.release("real", "a");
    expect(await lease.acquire("real", "b", 1600, 2600)).toBe(true);
  });

  it("a lease that lapses unreleased settles on when its holder took it", async () => {
    // The holder's release never arrived (it failed, or its isolate went away): it may have
    // spent a rotating handle and stored a token obtained after it took the lease.
    const lease = createDurableObjectLease(leaseObjects());
    expect(await lease.acquire("k", "a", 1000, 2000)).toBe(true);
    expect(await lease.acquire("k", "a", 1500, 2500)).toBe(true); // extended: still taken at 1000
    expect(await lease.acquire("k", "b", 2400, 3400)).toBe(false);
    expect(await lease.settled?.("k")).toBeUndefined();
    expect(await lease.acquire("k", "b", 2600, 3600)).toBe(true);
    expect(await lease.settled?.("k")).toBe(1000);
    await lease.release("k", "b"); // released, nothing settled: the time stays
    expect(await lease.acquire("k", "c", 2700, 3700)).toBe(true);
    expect(await lease.settled?.("k")).toBe(1000);
    await lease.release("k", "c", 2750); // a token stored: it moves on
    expect(await lease.acquire("k", "d", 2800, 3800)).toBe(true);
    expect(await lease.settled?.("k")).toBe(2750);
  });

  it("answers junk with 400", async () => {
    const object = new TokenLeaseObject();
    const response = await object.fetch(
      new Request("https://lease/", { method: "POST", body: "{" }),
    );
    expect(response.status).toBe(400);
  });
});

describe("token sources with a lease", () => {
  it("need a store", () => {
    const lease = createDurableObjectLease(leaseObjects());
    expect(() => createTokenSource(doubleProvider(), { lease })).toThrowError(
      expect.objectContaining({ code: "configuration" }),
    );
  });

  it("make one provider call per key across instances; the others take the token from the store", async () => {
    const clock = new Clock();
    const server = new FakeServer({ clock, latencyMs: 20 });
    const lease = createDurableObjectLease(leaseObjects());
    const store = createKvStore(env.TOKENS, { now: clock.now });
    const instances = Array.from({ length: 5 }, () =>
      createTokenSource(doubleProvider({ scope: "leased" }), {
        store,
        lease,
        runtime: {
          fetch: server.fetch,
          now: clock.now,
          random: () => 0,
          sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 5))),
        },
      }),
    );
    const tokens = await Promise.all(instances.map((source) => source.get()));
    expect(server.tokenCalls).toBe(1);
    expect(new Set(tokens.map((token) => token.value)).size).toBe(1);
  });

  it("a holder looks in the store once more before calling: the previous holder may have just stored", async () => {
    const clock = new Clock();
    const server = new FakeServer({ clock });
    const objects = createDurableObjectLease(leaseObjects());
    const store = createKvStore(env.TOKENS, { now: clock.now });
    // B read the store (empty) and asks for the lease; its answer arrives only after A has
    // taken the lease, obtained, stored and let go — B then holds a free lease and a stale view.
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let asked: () => void = () => {};
    const bAsked = new Promise<void>((resolve) => {
      asked = resolve;
    });
    const late: TokenLease = {
      acquire: async (key, holder, now, until) => {
        asked();
        await gate;
        return objects.acquire(key, holder, now, until);
      },
      release: (key, holder, settled) => objects.release(key, holder, settled),
      settled: (key) => objects.settled?.(key) ?? Promise.resolve(undefined),
    };
    const runtime = { fetch: server.fetch, now: clock.now, random: () => 0 };
    const provider = doubleProvider({ scope: "lease-recheck" });
    const a = createTokenSource(provider, { store, lease: objects, runtime });
    const b = createTokenSource(provider, { store, lease: late, runtime });
    const fromB = b.get();
    await bAsked;
    const fromA = await a.get();
    open();
    expect((await fromB).value).toBe(fromA.value);
    expect(server.tokenCalls).toBe(1);
  });

  it("a lease service that fails does not stop tokens", async () => {
    const clock = new Clock();
    const server = new FakeServer({ clock });
    const broken: TokenLease = {
      acquire: () => Promise.reject(new Error("lease service down")),
      release: () => Promise.reject(new Error("lease service down")),
    };
    const source = createTokenSource(doubleProvider({ scope: "broken-lease" }), {
      store: createKvStore(env.TOKENS, { now: clock.now }),
      lease: broken,
      runtime: { fetch: server.fetch, now: clock.now },
    });
    expect((await source.get()).value).toBe("at-1");
  });

  it("a lease service that never answers does not stop tokens: it is given up on", async () => {
    const clock = new Clock();
    const server = new FakeServer({ clock });
    const never = (): Promise<never> => new Promise<never>(() => {});
    const hung: TokenLease = { acquire: never, release: never, settled: never };
    const source = createTokenSource(doubleProvider({ scope: "hung-lease" }), {
      store: createKvStore(env.TOKENS, { now: clock.now }),
      lease: hung,
      deadlineMs: 400, // a lease call is given up on after 100 ms
      runtime: { fetch: server.fetch, now: clock.now },
    });
    expect((await source.get()).value).toBe("at-1");
    expect(server.tokenCalls).toBe(1);
  });

  it("PaymentsGate: a fleet past the refresh point spends each refresh token once", async () => {
    const clock = new Clock();
    const emulator = createEmulator({ now: clock.now });
    const { sent, recording } = recordingRefreshes(emulator);
    // The real Durable Object, through the binding the broker uses.
    const lease = createDurableObjectLease(env.TOKEN_LEASES);
    const store = createKvStore(env.TOKENS, { now: clock.now });
    const fleet = Array.from({ length: 4 }, () =>
      createTokenSource(
        paymentsGate({
          accountId: "00000000-0000-4000-8000-000000000001",
          publicKey: "ZGVtby1wdWJsaWMta2V5",
          baseUrl: "https://emulator.test/paymentsgate",
          scope: "fleet",
        }),
        {
          store,
          lease,
          runtime: {
            fetch: recording,
            now: clock.now,
            random: () => 0,
            sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 5))),
          },
        },
      ),
    );
    await Promise.all(fleet.map((source) => source.get()));
    expect(emulator.calls()["POST /paymentsgate/auth/token"]).toBe(1);
    for (let round = 0; round < 3; round++) {
      clock.advance(50 * MINUTE);
      // Every instance is past its refresh point at once: they race for the lease.
      const ctx = createExecutionContext();
      await Promise.all(fleet.map((source) => source.get({ ctx })));
      await waitOnExecutionContext(ctx);
    }
    expect(sent).toHaveLength(3);
    expect(new Set(sent).size).toBe(3);
    expect(emulator.calls()["POST /paymentsgate/auth/token"]).toBe(1);
    const values = await Promise.all(fleet.map((source) => source.get()));
    expect(new Set(values.map((token) => token.value)).size).toBe(1);
  });

  it("PaymentsGate: an instance that cannot reach the lease spends no refresh token (it serves on, then asks anew)", async () => {
    const clock = new Clock();
    const emulator = createEmulator({ now: clock.now });
    const { sent, recording } = recordingRefreshes(emulator);
    const real = createDurableObjectLease(env.TOKEN_LEASES);
    const unreachable: TokenLease = {
      acquire: () => Promise.reject(new Error("lease unreachable")),
      release: () => Promise.reject(new Error("lease unreachable")),
    };
    const store = createKvStore(env.TOKENS, { now: clock.now });
    const runtime = { fetch: recording, now: clock.now, random: () => 0 };
    const options = {
      accountId: "00000000-0000-4000-8000-000000000001",
      publicKey: "ZGVtby1wdWJsaWMta2V5",
      baseUrl: "https://emulator.test/paymentsgate",
      scope: "lease-down",
    };
    const leased = createTokenSource(paymentsGate(options), { store, lease: real, runtime });
    const cutOff = createTokenSource(paymentsGate(options), { store, lease: unreachable, runtime });
    await leased.get();
    expect((await cutOff.get()).value).toBe((await leased.get()).value);
    clock.advance(50 * MINUTE);
    // Both past the refresh point; the one without the lease must not spend the shared handle.
    await Promise.all([leased.get(), cutOff.get()]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(new Set(sent).size).toBe(sent.length);
    expect(sent.length).toBeLessThanOrEqual(1);
  });

  it("the lease object tells a new holder when the newest stored token was obtained", async () => {
    const lease = createDurableObjectLease(leaseObjects());
    expect(await lease.acquire("k", "a", 1000, 2000)).toBe(true);
    expect(await lease.settled?.("k")).toBeUndefined();
    await lease.release("k", "a", 1500);
    await lease.release("k", "b", 9000); // not the holder: nothing settled
    // The next holder hears it with its acquire (no round trip of its own).
    expect(await lease.acquire("k", "b", 2100, 3000)).toBe(true);
    expect(await lease.settled?.("k")).toBe(1500);
  });

  it("PaymentsGate: a settled time ahead of the holder's clock is not held against its handle", async () => {
    const clock = new Clock();
    const emulator = createEmulator({ now: clock.now });
    const objects = createDurableObjectLease(leaseObjects());
    const lease: TokenLease = {
      acquire: (key, holder, now, until) => objects.acquire(key, holder, now, until),
      release: (key, holder) => objects.release(key, holder),
      settled: async () => clock.now() + 3_600_000, // another clock, an hour ahead
    };
    const source = createTokenSource(
      paymentsGate({
        accountId: "00000000-0000-4000-8000-000000000001",
        publicKey: "ZGVtby1wdWJsaWMta2V5",
        baseUrl: "https://emulator.test/paymentsgate",
        scope: "settled-ahead",
      }),
      {
        store: createKvStore(env.TOKENS, { now: clock.now }),
        lease,
        runtime: { fetch: emulator.fetch, now: clock.now, random: () => 0 },
      },
    );
    await source.get();
    clock.advance(50 * MINUTE);
    await source.get();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(emulator.calls()["POST /paymentsgate/auth/token/refresh"]).toBe(1);
    expect(emulator.calls()["POST /paymentsgate/auth/token"]).toBe(1);
  });
});

/** A store whose reads can be held at an older value, as a KV read in another location is. */
function laggingStore(inner: TokenStore): TokenStore & { lag(token: Token | undefined): void } {
  let frozen: { token: Token | undefined } | undefined;
  return {
    get: (key) => (frozen === undefined ? inner.get(key) : Promise.resolve(frozen.token)),
    set: (key, token) => inner.set(key, token),
    delete: (key) => inner.delete(key),
    lag(token) {
      frozen = token === undefined ? undefined : { token };
    },
  };
}

describe("a lease that cannot help right now: the token in memory is served on", () => {
  const MINUTE = 60_000;
  const lifetime = 3600; // s; the refresh point is at 45 minutes (random 0), the floor 30 s

  function background(): { ctx: ReturnType<typeof createExecutionContext>; done(): Promise<void> } {
    const ctx = createExecutionContext();
    return { ctx, done: () => waitOnExecutionContext(ctx) };
  }

  it("the lease told of a newer token than the store showed: no provider call until ours nears its floor", async () => {
    const clock = new Clock();
    const server = new FakeServer({ clock, lifetime });
    const lease = createDurableObjectLease(leaseObjects());
    const shared = createMemoryStore({ now: clock.now });
    const lagging = laggingStore(shared);
    const runtime = { fetch: server.fetch, now: clock.now, random: () => 0 };
    const events: TokenSourceEvent[] = [];
    const a = createTokenSource(doubleProvider({ scope: "stale" }), {
      store: shared,
      lease,
      runtime,
    });
    const b = createTokenSource(doubleProvider({ scope: "stale" }), {
      store: lagging,
      lease,
      runtime,
      onEvent: (event) => events.push(event),
    });
    const first = await a.get();
    expect((await b.get()).value).toBe(first.value);
    clock.advance(46 * MINUTE);
    lagging.lag(first); // B's reads still show the first token
    let run = background();
    // A past its refresh point renews behind the token it serves, and settles on the new one.
    expect((await a.get({ ctx: run.ctx })).value).toBe(first.value);
    await run.done();
    expect(server.tokenCalls).toBe(2);
    const second = await a.get();
    expect(second.value).not.toBe(first.value);
    // B past its refresh point: the lease (held, free) says a token newer than B's exists.
    run = background();
    expect((await b.get({ ctx: run.ctx })).value).toBe(first.value);
    await run.done();
    expect(server.tokenCalls).toBe(2);
    expect(
      events.filter((e) => e.type === "lease").map((e) => e.type === "lease" && e.outcome),
    ).toEqual(["stale_read"]);
    // Served from memory until the next look, 5 s on; then the store shows the token.
    expect((await b.get()).value).toBe(first.value);
    lagging.lag(undefined);
    clock.advance(5_000);
    run = background();
    await b.get({ ctx: run.ctx });
    await run.done();
    expect((await b.get()).value).toBe(second.value);
    expect(server.tokenCalls).toBe(2);
  });

  it("a store that stays behind: the provider is called once ours has two floors of life left", async () => {
    const clock = new Clock();
    const server = new FakeServer({ clock, lifetime });
    const lease = createDurableObjectLease(leaseObjects());
    const shared = createMemoryStore({ now: clock.now });
    const lagging = laggingStore(shared);
    const runtime = { fetch: server.fetch, now: clock.now, random: () => 0 };
    const a = createTokenSource(doubleProvider({ scope: "behind" }), {
      store: shared,
      lease,
      runtime,
    });
    const b = createTokenSource(doubleProvider({ scope: "behind" }), {
      store: lagging,
      lease,
      runtime,
    });
    const first = await a.get();
    await b.get();
    clock.advance(46 * MINUTE);
    lagging.lag(first);
    let run = background();
    await a.get({ ctx: run.ctx });
    await run.done();
    expect(server.tokenCalls).toBe(2);
    // Looks every 5 s and serves the first token on while the store lags…
    for (let at = 46 * MINUTE; at < 59 * MINUTE; at += 5_000) {
      run = background();
      expect((await b.get({ ctx: run.ctx })).value).toBe(first.value);
      await run.done();
      clock.advance(5_000);
    }
    expect(server.tokenCalls).toBe(2);
    // …until it has 60 s left (two floors): then it obtains its own, never serving one expired.
    clock.t = first.expiresAt - 60_000;
    run = background();
    expect((await b.get({ ctx: run.ctx })).value).toBe(first.value);
    await run.done();
    expect(server.tokenCalls).toBe(3);
    expect((await b.get()).expiresAt).toBeGreaterThan(first.expiresAt);
  });

  it("the lease unreachable: served on once, then the provider is called (a lease down for good costs a few seconds)", async () => {
    const clock = new Clock();
    const server = new FakeServer({ clock, lifetime });
    let down = false;
    const objects = createDurableObjectLease(leaseObjects());
    const lease: TokenLease = {
      acquire: (...args) =>
        down ? Promise.reject(new Error("lease down")) : objects.acquire(...args),
      release: (...args) =>
        down ? Promise.reject(new Error("lease down")) : objects.release(...args),
      settled: (key) => objects.settled?.(key) ?? Promise.resolve(undefined),
    };
    const events: string[] = [];
    const source = createTokenSource(doubleProvider({ scope: "lease-down" }), {
      store: createMemoryStore({ now: clock.now }),
      lease,
      runtime: { fetch: server.fetch, now: clock.now, random: () => 0 },
      onEvent: (event) => {
        if (event.type === "lease") events.push(event.outcome);
      },
    });
    const first = await source.get();
    clock.advance(46 * MINUTE);
    down = true;
    let run = background();
    expect((await source.get({ ctx: run.ctx })).value).toBe(first.value);
    await run.done();
    expect(server.tokenCalls).toBe(1); // served on: the lease may be back at the next look
    expect((await source.get()).value).toBe(first.value); // from memory, no look
    clock.advance(5_000);
    run = background();
    expect((await source.get({ ctx: run.ctx })).value).toBe(first.value);
    await run.done();
    expect(server.tokenCalls).toBe(2); // still down: it goes on without the lease
    expect(events).toEqual(["held", "unavailable", "unavailable"]);
    expect((await source.get()).value).not.toBe(first.value);
  });

  it("instances under a lease agree on a token's refresh point, whatever their own draws", async () => {
    const clock = new Clock();
    const server = new FakeServer({ clock }); // one-hour tokens
    const lease = createDurableObjectLease(leaseObjects());
    const store = createKvStore(env.TOKENS, { now: clock.now });
    // Jitter wide enough that the two draws would put the refresh points 15 minutes apart.
    const source = (random: number) =>
      createTokenSource(doubleProvider({ scope: "agreed-refresh" }), {
        store,
        lease,
        refreshAhead: 0.1,
        refreshJitter: 0.25,
        runtime: { fetch: server.fetch, now: clock.now, random: () => random },
      });
    const late = source(0);
    const early = source(0.999);
    const token = await late.get();
    expect((await early.get()).value).toBe(token.value); // adopted from the store
    expect(server.tokenCalls).toBe(1);
    const point = refreshPoint(
      token,
      { refreshAhead: 0.1, refreshJitter: 0.25, minRemainingMs: 30_000 },
      tokenDraw(token),
    );
    // Just before the agreed point neither renews: the early draw alone would have 15 minutes ago.
    clock.t = point - 1_000;
    await early.get();
    await late.get();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(server.tokenCalls).toBe(1);
    clock.t = point + 1_000;
    await early.get();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await late.get();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.tokenCalls).toBe(2);
  });

  it("a holder that never lets go: a caller with no token waits half its deadline, then obtains its own", async () => {
    const clock = new Clock();
    const server = new FakeServer({ clock });
    // Busy for good, as a lease whose holder died is until `leaseMs` (15 s) runs out.
    const lease: TokenLease = {
      acquire: () => Promise.resolve(false),
      release: () => Promise.resolve(),
    };
    const events: string[] = [];
    const source = createTokenSource(doubleProvider({ scope: "dead-holder" }), {
      store: createMemoryStore({ now: clock.now }),
      lease,
      deadlineMs: 2_000,
      runtime: { fetch: server.fetch, now: clock.now, random: () => 0 },
      onEvent: (event) => {
        if (event.type === "lease") events.push(event.outcome);
      },
    });
    const started = Date.now();
    const token = await source.get(); // before: `timeout` at 2 s, waiting on the lease
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(token.value).toBeTruthy();
    expect(server.tokenCalls).toBe(1);
    expect(events).toEqual(["timed_out"]);
  });
});
