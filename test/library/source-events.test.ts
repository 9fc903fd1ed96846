/**
 * What a token source reports through onEvent: obtained, refresh failed (serving the cached token),
 * renewing after a refusal, waited, store failed — names and numbers, never a token or a secret.
 */
import { describe, expect, it } from "vitest";
import {
  createMemoryStore,
  type TokenLease,
  type TokenSourceEvent,
  type TokenStore,
} from "../../src/index.ts";
import { API_KEY, SECRET, T0 } from "../support/double.ts";
import { getAndSettle, MINUTE, setup } from "../support/wired-source.ts";

describe("events", () => {
  it("tell a logger what happened, with nothing secret in them", async () => {
    const events: TokenSourceEvent[] = [];
    const { server, source, clock } = setup({
      double: { refreshable: true },
      onEvent: (event) => events.push(event),
    });
    const first = await source.get();
    clock.advance(50 * MINUTE);
    server.mode = "down";
    await getAndSettle(source); // refresh fails, the cached token is served
    server.mode = "ok";
    server.revokeAll();
    clock.advance(100);
    expect((await source.fetch("https://api.double.test/api")).status).toBe(200);
    const second = await source.get();

    const key = { provider: "double", environment: "test", scope: "payments" };
    expect(events).toEqual([
      { ...key, type: "obtained", from: "provider", refreshed: false, expiresAt: first.expiresAt },
      { ...key, type: "waited", ms: 0, outcome: "token" },
      {
        ...key,
        type: "refresh_failed",
        code: "upstream_unavailable",
        serving: true,
        retryInMs: 500,
      },
      { ...key, type: "renewing" },
      // A refused token is dropped with its handle: the renewal obtains anew.
      { ...key, type: "obtained", from: "provider", refreshed: false, expiresAt: second.expiresAt },
      { ...key, type: "waited", ms: 0, outcome: "token" },
    ]);
    events.length = 0;
    clock.advance(50 * MINUTE);
    await getAndSettle(source); // past the refresh point: refreshed by its handle, behind the caller
    expect(events.map((event) => [event.type, "refreshed" in event && event.refreshed])).toEqual([
      ["obtained", true],
    ]);
    const logged = JSON.stringify(events);
    for (const secret of [first.value, second.value, "rt-", SECRET, API_KEY]) {
      expect(logged).not.toContain(secret);
    }
  });

  it("report a failed wait with its code and a store that threw, and survive a listener that throws", async () => {
    const events: TokenSourceEvent[] = [];
    const broken: TokenStore = {
      get: async () => {
        throw new Error("kv down");
      },
      set: async () => {
        throw new Error("kv down");
      },
      delete: async () => {},
    };
    const { server, source } = setup({
      store: broken,
      onEvent: (event) => {
        events.push(event);
        throw new Error("a logger that fails");
      },
    });
    server.mode = "bad-credentials";
    await expect(source.get()).rejects.toMatchObject({ code: "credentials" });
    expect(events.map((event) => event.type)).toEqual(["store_failed", "refresh_failed", "waited"]);
    expect(events.at(-1)).toMatchObject({ outcome: "credentials" });
    server.mode = "ok";
    events.length = 0;
    await expect(source.get()).rejects.toMatchObject({ code: "credentials" }); // remembered
    events.length = 0;
    const fresh = setup({ store: broken, onEvent: (event) => events.push(event) });
    await fresh.source.get();
    expect(events.map((event) => event.type)).toEqual([
      "store_failed",
      "store_failed",
      "obtained",
      "waited",
    ]);
  });

  describe("the lease, when the source needs the provider", () => {
    const types = (events: TokenSourceEvent[]) =>
      events.map((event) => (event.type === "lease" ? `lease:${event.outcome}` : event.type));

    function lease(acquire: TokenLease["acquire"]): TokenLease {
      return { acquire, release: async () => {} };
    }

    it("held: this instance calls the provider", async () => {
      const events: TokenSourceEvent[] = [];
      const { source } = setup({
        store: createMemoryStore({ now: () => T0 }),
        lease: lease(async () => true),
        onEvent: (event) => events.push(event),
      });
      await source.get();
      expect(types(events)).toEqual(["lease:held", "obtained", "waited"]);
    });

    it("adopted: another instance's token reached the store while this one waited", async () => {
      const events: TokenSourceEvent[] = [];
      const store = createMemoryStore({ now: () => T0 });
      const other = setup({ store });
      let waits = 0;
      const { source, server } = setup({
        store,
        lease: lease(async () => {
          // The other instance holds the lease and stores its token meanwhile.
          if (waits++ === 0) await other.source.get();
          return false;
        }),
        onEvent: (event) => events.push(event),
      });
      const token = await source.get();
      expect(token.value).toBe((await other.source.get()).value);
      expect(types(events)).toEqual(["obtained", "lease:adopted", "waited"]);
      expect(events[0]).toMatchObject({ from: "store" });
      expect(events[1]).toMatchObject({ ms: expect.any(Number) });
      expect(server.tokenCalls + server.refreshCalls).toBe(0);
    });

    it("timed_out and unavailable: the source goes on without the lease", async () => {
      const busy: TokenSourceEvent[] = [];
      await setup({
        store: createMemoryStore({ now: () => T0 }),
        lease: lease(async () => false),
        leaseMs: 1_000,
        onEvent: (event) => busy.push(event),
      }).source.get();
      expect(types(busy)).toEqual(["lease:timed_out", "obtained", "waited"]);
      const down: TokenSourceEvent[] = [];
      await setup({
        store: createMemoryStore({ now: () => T0 }),
        lease: lease(async () => {
          throw new Error("lease down");
        }),
        onEvent: (event) => down.push(event),
      }).source.get();
      expect(types(down)).toEqual(["lease:unavailable", "obtained", "waited"]);
    });
  });

  it("a store whose delete throws: invalidate() still resolves, and says so", async () => {
    const events: TokenSourceEvent[] = [];
    const inner = createMemoryStore({ now: () => T0 });
    const store: TokenStore = {
      get: (key) => inner.get(key),
      set: (key, token) => inner.set(key, token),
      delete: async () => {
        throw new Error("kv down");
      },
    };
    const { source } = setup({ store, onEvent: (event) => events.push(event) });
    await source.get();
    events.length = 0;
    await expect(source.invalidate()).resolves.toBeUndefined();
    expect(events).toEqual([
      expect.objectContaining({ type: "store_failed", operation: "delete" }),
    ]);
  });

  it("report a store whose methods throw synchronously, and still hand out the token", async () => {
    const events: TokenSourceEvent[] = [];
    const fail = (): never => {
      throw new Error("store broken");
    };
    // A TokenStore of one's own, written without async: its throws are not rejections.
    const broken = { get: fail, set: fail, delete: fail } as unknown as TokenStore;
    const { server, source } = setup({ store: broken, onEvent: (event) => events.push(event) });
    const first = await source.get();
    expect(first.value).toBe("at-1");
    await expect(source.invalidate()).resolves.toBeUndefined();
    expect((await source.get()).value).toBe("at-2");
    expect(server.tokenCalls).toBe(2);
    expect(
      events.flatMap((event) => (event.type === "store_failed" ? [event.operation] : [])),
    ).toEqual(["get", "set", "delete", "get", "set"]);
  });
});
