/**
 * The token source's cache: one provider call for many callers, the cached path, invalidate(),
 * and a store shared between instances (real local KV).
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createEncryptedKv, createKvStore, createTokenSource } from "../../src/index.ts";
import { Clock, doubleProvider, FakeServer } from "../support/double.ts";
import { MINUTE, setup } from "../support/wired-source.ts";

describe("get(): memory, single flight", () => {
  it("1,000 concurrent get() on a cold cache make exactly one provider call", async () => {
    const { server, source } = setup({ latencyMs: 20 });
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => source.get()));
    expect(server.tokenCalls).toBe(1);
    expect(new Set(tokens.map((token) => token.value))).toEqual(new Set(["at-1"]));
  });

  it("serves the cached token without calling the provider again", async () => {
    const { server, source, clock } = setup();
    const first = await source.get();
    clock.advance(30 * MINUTE);
    expect(await source.get()).toBe(first);
    expect(server.tokenCalls).toBe(1);
  });

  it("invalidate() drops the token; the next get() obtains a new one", async () => {
    const { server, source } = setup();
    const first = await source.get();
    await source.invalidate();
    const second = await source.get();
    expect(second.value).not.toBe(first.value);
    expect(server.tokenCalls).toBe(2);
  });

  it("rejects options that make no sense with a configuration error", () => {
    const provider = doubleProvider();
    for (const options of [
      { refreshAhead: 1.5 },
      { minRemainingMs: -1 },
      { refreshJitter: Number.NaN },
    ]) {
      expect(() => createTokenSource(provider, options)).toThrowError(
        expect.objectContaining({ code: "configuration" }),
      );
    }
  });
});

describe("with a shared store (real local KV)", () => {
  it("a second instance takes the token from KV instead of the provider", async () => {
    const { server, source, clock } = setup({ store: createKvStore(env.TOKENS) });
    const first = await source.get();
    const other = createTokenSource(doubleProvider(), {
      store: createKvStore(env.TOKENS, { now: clock.now }),
      runtime: { fetch: server.fetch, now: clock.now, random: () => 0 },
    });
    expect((await other.get()).value).toBe(first.value);
    expect(server.tokenCalls).toBe(1);
  });

  it("an instance past its refresh point adopts a newer token another instance stored", async () => {
    const kv = createEncryptedKv(env.TOKENS, {
      keys: [{ id: "k1", secret: "0123456789abcdef0123456789abcdef-adopt" }],
    });
    const clock = new Clock();
    const server = new FakeServer({ clock });
    const make = () =>
      createTokenSource(doubleProvider({ scope: "adopt" }), {
        store: createKvStore(kv, { now: clock.now }),
        runtime: { fetch: server.fetch, now: clock.now, random: () => 0 },
      });
    const a = make();
    const b = make();
    await a.get();
    await b.get();
    expect(server.tokenCalls).toBe(1);
    clock.advance(46 * MINUTE);
    await a.invalidate();
    const fresh = await a.get(); // a obtains and stores a new token
    expect(server.tokenCalls).toBe(2);
    const ctx = createExecutionContext();
    await b.get({ ctx }); // b is past its refresh point: it looks in KV first
    await waitOnExecutionContext(ctx);
    expect((await b.get()).value).toBe(fresh.value);
    expect(server.tokenCalls).toBe(2);
  });

  it("a corrupt KV value is a miss that gets overwritten", async () => {
    const { server, source, provider } = setup({ store: createKvStore(env.TOKENS) });
    const { storeKeyName } = await import("../../src/index.ts");
    const name = await storeKeyName({ ...provider.key });
    await env.TOKENS.put(name, "{not json", { expirationTtl: 120 });
    const token = await source.get();
    expect(server.tokenCalls).toBe(1);
    expect(await env.TOKENS.get(name)).toContain(token.value);
  });

  it("a token the API refused is not taken back from the store", async () => {
    const { server, source, clock } = setup({
      store: createKvStore(env.TOKENS),
      double: { scope: "refused" },
    });
    const first = await source.get();
    clock.advance(5_000);
    server.revokeAll();
    const response = await source.fetch("https://api.double.test/api");
    expect(response.status).toBe(200);
    expect((await source.get()).value).not.toBe(first.value);
    expect(server.tokenCalls).toBe(2);
  });
});
