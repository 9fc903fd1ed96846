/**
 * invalidate() deletes the stored token only if it is still the one this source had: a newer one
 * another instance stored meanwhile stays: read-compare-delete (KV has no compare-and-swap), or
 * the store's own compare-and-delete (`deleteIf`) where it has one.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  createKvStore,
  createMemoryStore,
  createTokenSource,
  storeKeyName,
  type TokenStore,
} from "../../src/index.ts";
import { Clock, doubleProvider, FakeServer } from "../support/double.ts";

function fleet(scope: string) {
  const clock = new Clock();
  const server = new FakeServer({ clock });
  const provider = doubleProvider({ scope });
  const store = createKvStore(env.TOKENS, { now: clock.now });
  const make = () =>
    createTokenSource(provider, {
      store,
      runtime: { fetch: server.fetch, now: clock.now, random: () => 0 },
    });
  return { server, store, provider, make };
}

describe("invalidate()", () => {
  it("leaves a newer token that another instance stored", async () => {
    const { server, store, provider, make } = fleet("invalidate-newer");
    const a = make();
    const b = make();
    await a.get(); // at-1, stored
    await b.get(); // adopted from the store
    await b.invalidate(); // b drops at-1 everywhere…
    const newer = await b.get(); // …and stores at-2
    expect(newer.value).toBe("at-2");
    await a.invalidate(); // a still held at-1: the store's at-2 is not a's to delete
    const key = await storeKeyName(provider.key);
    expect((await store.get(key))?.value).toBe("at-2");
    expect((await make().get()).value).toBe("at-2");
    expect(server.tokenCalls).toBe(2);
  });

  it("deletes the stored token when it is still this source's", async () => {
    const { server, store, provider, make } = fleet("invalidate-own");
    const a = make();
    await a.get();
    await a.invalidate();
    expect(await store.get(await storeKeyName(provider.key))).toBeUndefined();
    expect((await make().get()).value).toBe("at-2");
    expect(server.tokenCalls).toBe(2);
  });
});

describe("invalidate() with a store that compares and deletes in one step", () => {
  it("hands the store the token it had, and neither reads nor deletes outright", async () => {
    const clock = new Clock();
    const server = new FakeServer({ clock });
    const provider = doubleProvider({ scope: "invalidate-deleteif" });
    const memory = createMemoryStore({ now: clock.now });
    const calls: string[] = [];
    const store: TokenStore = {
      get: (key) => memory.get(key).finally(() => calls.push("get")),
      set: (key, token) => memory.set(key, token).finally(() => calls.push("set")),
      delete: (key) => memory.delete(key).finally(() => calls.push("delete")),
      async deleteIf(key, value) {
        calls.push(`deleteIf ${value}`);
        if ((await memory.get(key))?.value === value) await memory.delete(key);
      },
    };
    const source = createTokenSource(provider, {
      store,
      runtime: { fetch: server.fetch, now: clock.now, random: () => 0 },
    });
    await source.get();
    calls.length = 0;
    await source.invalidate();
    expect(calls).toEqual(["deleteIf at-1"]);
    expect(await memory.get(await storeKeyName(provider.key))).toBeUndefined();
  });

  it("reports a deleteIf that fails as store_failed, and still drops the token here", async () => {
    const clock = new Clock();
    const server = new FakeServer({ clock });
    const provider = doubleProvider({ scope: "invalidate-deleteif-fails" });
    const memory = createMemoryStore({ now: clock.now });
    const events: string[] = [];
    const source = createTokenSource(provider, {
      store: {
        get: (key) => memory.get(key),
        set: (key, token) => memory.set(key, token),
        delete: (key) => memory.delete(key),
        deleteIf: () => Promise.reject(new Error("redis down")),
      },
      onEvent: (event) => {
        if (event.type === "store_failed") events.push(event.operation);
      },
      runtime: { fetch: server.fetch, now: clock.now, random: () => 0 },
    });
    await source.get();
    await source.invalidate();
    expect(events).toEqual(["delete"]);
    // The refused token is never taken from the store again: the next get() obtains anew.
    expect((await source.get()).value).toBe("at-2");
  });
});
