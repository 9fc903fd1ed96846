/** createKvStore over real local KV: round trips, corrupt values, KV expiration. */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createKvStore } from "../../src/index.ts";
import {
  clock,
  expectSameToken,
  kvExpiration,
  makeToken,
  seconds,
} from "../support/stored-tokens.ts";

// KV storage is shared by every test in this file: each test uses its own key names.

describe("createKvStore", () => {
  it("returns the token it stored, every field intact", async () => {
    const time = clock();
    const store = createKvStore(env.TOKENS, { now: time.now });
    const token = makeToken(time.at);
    await store.set("kv:round-trip", token);

    const read = await store.get("kv:round-trip");
    expectSameToken(read, token);
    expect(read?.value).toBe("access-VALUE-7f3a9c");
    expect(read?.refreshToken).toBe("refresh-VALUE-b41d02");
    expect(read?.scope).toBe("payments:write");
    expect(read?.expiresAt).toBe(token.expiresAt);
    expect(read?.obtainedAt).toBe(token.obtainedAt);
  });

  it("round-trips a token without scope or refresh token", async () => {
    const time = clock();
    const store = createKvStore(env.TOKENS, { now: time.now });
    const token = makeToken(time.at, { scope: undefined, refreshToken: undefined });
    await store.set("kv:bare", token);

    const read = await store.get("kv:bare");
    expectSameToken(read, token);
    expect(read?.scope).toBeUndefined();
    expect(read?.refreshToken).toBeUndefined();
  });

  it("misses a key that was never set", async () => {
    const store = createKvStore(env.TOKENS);
    expect(await store.get("kv:never-set")).toBeUndefined();
  });

  it("replaces the token on a second set", async () => {
    const time = clock();
    const store = createKvStore(env.TOKENS, { now: time.now });
    await store.set("kv:replace", makeToken(time.at, { value: "first" }));
    await store.set("kv:replace", makeToken(time.at, { value: "second" }));
    expect((await store.get("kv:replace"))?.value).toBe("second");
  });

  it("deletes a token", async () => {
    const time = clock();
    const store = createKvStore(env.TOKENS, { now: time.now });
    await store.set("kv:delete", makeToken(time.at));
    await store.delete("kv:delete");

    expect(await store.get("kv:delete")).toBeUndefined();
    expect(await env.TOKENS.get("kv:delete")).toBeNull();
  });

  it("misses a token once its expiresAt has passed", async () => {
    const time = clock();
    const store = createKvStore(env.TOKENS, { now: time.now });
    await store.set("kv:expires", makeToken(time.at, { expiresAt: time.at + seconds(10) }));
    expect(await store.get("kv:expires")).toBeDefined();

    time.advance(seconds(10) - 1);
    expect(await store.get("kv:expires")).toBeDefined();
    time.advance(1);
    expect(await store.get("kv:expires")).toBeUndefined();
  });

  it("misses a token stored already expired", async () => {
    const time = clock();
    const store = createKvStore(env.TOKENS, { now: time.now });
    await store.set("kv:stale", makeToken(time.at - seconds(60), { expiresAt: time.at - 1 }));
    expect(await store.get("kv:stale")).toBeUndefined();
  });

  describe("corrupt values", () => {
    const valid = { value: "v", expiresAt: Date.now() + seconds(3600), obtainedAt: Date.now() };
    const corrupt: [string, string][] = [
      ["not JSON", "not json"],
      ["an empty string", ""],
      ["JSON null", "null"],
      ["a JSON number", "42"],
      ["a JSON array", "[]"],
      ["the wrong shape", JSON.stringify({ token: "abc", ttl: 3600 })],
      ["another record version", JSON.stringify({ v: 2, ...valid })],
      ["no version", JSON.stringify(valid)],
      ["an empty value", JSON.stringify({ v: 1, ...valid, value: "" })],
      ["a string expiresAt", JSON.stringify({ v: 1, ...valid, expiresAt: "tomorrow" })],
      ["a null expiresAt", JSON.stringify({ v: 1, ...valid, expiresAt: null })],
      ["a numeric scope", JSON.stringify({ v: 1, ...valid, scope: 7 })],
      ["truncated JSON", JSON.stringify({ v: 1, ...valid }).slice(0, 20)],
    ];

    it.each(corrupt)("reads %s as a miss, and the next set replaces it", async (label, raw) => {
      const time = clock();
      const store = createKvStore(env.TOKENS, { now: time.now });
      const key = `kv:corrupt:${label}`;
      await env.TOKENS.put(key, raw);

      await expect(store.get(key)).resolves.toBeUndefined();

      const token = makeToken(time.at);
      await store.set(key, token);
      expectSameToken(await store.get(key), token);
    });
  });

  describe("KV expiration", () => {
    it("keeps a short-lived token at least KV's 60 s minimum", async () => {
      const time = clock();
      const store = createKvStore(env.TOKENS, { now: time.now });
      await store.set("kv:ttl-short", makeToken(time.at, { expiresAt: time.at + seconds(10) }));

      const expiration = await kvExpiration("kv:ttl-short");
      expect(expiration).toBeDefined();
      expect(expiration).toBeGreaterThanOrEqual(time.at / 1000 + 59);
    });

    it("keeps an already expired token's entry at the 60 s minimum, not below", async () => {
      const time = clock();
      const store = createKvStore(env.TOKENS, { now: time.now });
      await store.set("kv:ttl-past", makeToken(time.at - seconds(600), { expiresAt: time.at - 1 }));

      expect(await kvExpiration("kv:ttl-past")).toBeGreaterThanOrEqual(time.at / 1000 + 59);
    });

    it("expires a long-lived token's entry with the token", async () => {
      const time = clock();
      const store = createKvStore(env.TOKENS, { now: time.now });
      await store.set("kv:ttl-long", makeToken(time.at, { expiresAt: time.at + seconds(3600) }));

      const expiration = await kvExpiration("kv:ttl-long");
      expect(expiration).toBeGreaterThanOrEqual(time.at / 1000 + 3599);
      expect(expiration).toBeLessThanOrEqual(time.at / 1000 + 3602);
    });
  });
});
