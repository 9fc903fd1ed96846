/**
 * invalidate() deletes the stored token only if it is still the one this source had: a newer one
 * another instance stored meanwhile stays (read-compare-delete; KV has no compare-and-swap).
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createKvStore, createTokenSource, storeKeyName } from "../../src/index.ts";
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
