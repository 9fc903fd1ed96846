import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  createEncryptedKv,
  createKvStore,
  createMemoryStore,
  type EdgeTokenError,
  type EncryptionKey,
  fingerprint,
  isEdgeTokenError,
  storeKeyName,
  Token,
  type TokenInit,
} from "../../src/index.ts";

// KV storage is shared by every test in this file: each test uses its own key names.

const seconds = (n: number): number => n * 1000;

const K1: EncryptionKey = { id: "k1", secret: "k1-secret-0123456789abcdefghijklmnopqrstuv" };
const K2: EncryptionKey = { id: "k2", secret: "k2-secret-zyxwvutsrqponmlkjihgfedcba987654" };

/** A token obtained at `now`, valid for an hour unless told otherwise. */
function makeToken(now: number, init: Partial<TokenInit> = {}): Token {
  return new Token({
    value: "access-VALUE-7f3a9c",
    expiresAt: now + seconds(3600),
    obtainedAt: now,
    scope: "payments:write",
    refreshToken: "refresh-VALUE-b41d02",
    ...init,
  });
}

/** A clock the test moves by hand, starting at the real time. */
function clock(): { now: () => number; at: number; advance(ms: number): void } {
  const state = {
    at: Date.now(),
    now: (): number => state.at,
    advance(ms: number): void {
      state.at += ms;
    },
  };
  return state;
}

function expectSameToken(actual: Token | undefined, expected: Token): void {
  expect(actual).toBeInstanceOf(Token);
  expect(actual?.toInit()).toEqual(expected.toInit());
}

async function rawValue(key: string): Promise<string> {
  const raw = await env.TOKENS.get(key, "text");
  if (raw === null) throw new Error(`no raw value under ${key}`);
  return raw;
}

/** The expiration KV recorded for a key, in epoch seconds. */
async function kvExpiration(key: string): Promise<number | undefined> {
  const { keys } = await env.TOKENS.list({ prefix: key });
  return keys.find((entry) => entry.name === key)?.expiration;
}

/** Splits an `et1.<kid>.<iv>.<ciphertext>` envelope. */
function envelopeParts(raw: string): { prefix: string; kid: string; iv: string; data: string } {
  const [prefix = "", kid = "", iv = "", data = ""] = raw.split(".");
  return { prefix, kid, iv, data };
}

/** The string with the character at `index` replaced by another base64url character. */
function flipChar(text: string, index: number): string {
  const replacement = text[index] === "A" ? "B" : "A";
  return text.slice(0, index) + replacement + text.slice(index + 1);
}

function configurationError(run: () => unknown): EdgeTokenError {
  try {
    run();
  } catch (error) {
    if (isEdgeTokenError(error)) return error;
    throw error;
  }
  throw new Error("expected an EdgeTokenError");
}

function expectNoSecret(error: EdgeTokenError, secret: string): void {
  expect(error.code).toBe("configuration");
  expect(error.message).not.toContain(secret);
  expect(error.stack ?? "").not.toContain(secret);
  expect(String(error)).not.toContain(secret);
  expect(JSON.stringify(error)).not.toContain(secret);
}

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

describe("createEncryptedKv", () => {
  it("round-trips a token through createKvStore", async () => {
    const time = clock();
    const store = createKvStore(createEncryptedKv(env.TOKENS, { keys: [K1] }), { now: time.now });
    const token = makeToken(time.at);
    await store.set("enc:round-trip", token);

    expectSameToken(await store.get("enc:round-trip"), token);
  });

  it("stores an et1 envelope that holds neither the token nor the refresh token", async () => {
    const time = clock();
    const store = createKvStore(createEncryptedKv(env.TOKENS, { keys: [K1] }), { now: time.now });
    await store.set("enc:sealed", makeToken(time.at));

    const raw = await rawValue("enc:sealed");
    expect(raw.startsWith("et1.k1.")).toBe(true);
    expect(raw.split(".")).toHaveLength(4);
    expect(raw).not.toContain("access-VALUE-7f3a9c");
    expect(raw).not.toContain("refresh-VALUE-b41d02");
    expect(raw).not.toContain("payments");
    expect(raw).not.toContain(K1.secret);
  });

  it("uses a fresh IV for every write", async () => {
    const time = clock();
    const store = createKvStore(createEncryptedKv(env.TOKENS, { keys: [K1] }), { now: time.now });
    const token = makeToken(time.at);

    await store.set("enc:iv", token);
    const first = await rawValue("enc:iv");
    await store.set("enc:iv", token);
    const second = await rawValue("enc:iv");

    expect(second).not.toBe(first);
    expect(envelopeParts(second).iv).not.toBe(envelopeParts(first).iv);
    expectSameToken(await store.get("enc:iv"), token);
  });

  it("passes the expiration through to KV", async () => {
    const time = clock();
    const store = createKvStore(createEncryptedKv(env.TOKENS, { keys: [K1] }), { now: time.now });
    await store.set("enc:ttl", makeToken(time.at, { expiresAt: time.at + seconds(10) }));

    expect(await kvExpiration("enc:ttl")).toBeGreaterThanOrEqual(time.at / 1000 + 59);
  });

  it("deletes through the wrapper", async () => {
    const time = clock();
    const store = createKvStore(createEncryptedKv(env.TOKENS, { keys: [K1] }), { now: time.now });
    await store.set("enc:delete", makeToken(time.at));
    await store.delete("enc:delete");

    expect(await store.get("enc:delete")).toBeUndefined();
    expect(await env.TOKENS.get("enc:delete")).toBeNull();
  });

  it("misses a value copied under another key name", async () => {
    const time = clock();
    const store = createKvStore(createEncryptedKv(env.TOKENS, { keys: [K1] }), { now: time.now });
    const token = makeToken(time.at);
    await store.set("enc:moved:a", token);
    await env.TOKENS.put("enc:moved:b", await rawValue("enc:moved:a"));

    expect(await store.get("enc:moved:b")).toBeUndefined();
    expectSameToken(await store.get("enc:moved:a"), token);
  });

  it("misses a plaintext record written before encryption", async () => {
    const time = clock();
    await createKvStore(env.TOKENS, { now: time.now }).set("enc:plain", makeToken(time.at));
    const store = createKvStore(createEncryptedKv(env.TOKENS, { keys: [K1] }), { now: time.now });

    expect(await store.get("enc:plain")).toBeUndefined();
  });

  describe("tampering", () => {
    async function sealed(key: string): Promise<string> {
      const time = clock();
      const store = createKvStore(createEncryptedKv(env.TOKENS, { keys: [K1] }), { now: time.now });
      await store.set(key, makeToken(time.at));
      expect(await reader().get(key)).toBeDefined();
      return rawValue(key);
    }

    function reader(): ReturnType<typeof createKvStore> {
      return createKvStore(createEncryptedKv(env.TOKENS, { keys: [K1] }));
    }

    it("misses a value with one ciphertext character flipped", async () => {
      const raw = await sealed("enc:flip-data");
      const { prefix, kid, iv, data } = envelopeParts(raw);
      for (const index of [0, Math.floor(data.length / 2), data.length - 2]) {
        await env.TOKENS.put("enc:flip-data", [prefix, kid, iv, flipChar(data, index)].join("."));
        expect(await reader().get("enc:flip-data")).toBeUndefined();
      }
    });

    it("misses a value with one IV character flipped", async () => {
      const raw = await sealed("enc:flip-iv");
      const { prefix, kid, iv, data } = envelopeParts(raw);
      await env.TOKENS.put("enc:flip-iv", [prefix, kid, flipChar(iv, 0), data].join("."));
      expect(await reader().get("enc:flip-iv")).toBeUndefined();
    });

    it("misses a value with a truncated ciphertext", async () => {
      const raw = await sealed("enc:truncated");
      const { prefix, kid, iv, data } = envelopeParts(raw);
      await env.TOKENS.put("enc:truncated", [prefix, kid, iv, data.slice(0, -4)].join("."));
      expect(await reader().get("enc:truncated")).toBeUndefined();
    });

    it("misses a value sealed with an unknown key id", async () => {
      const raw = await sealed("enc:unknown-kid");
      const { iv, data } = envelopeParts(raw);
      await env.TOKENS.put("enc:unknown-kid", ["et1", "k7", iv, data].join("."));
      expect(await reader().get("enc:unknown-kid")).toBeUndefined();
    });

    it("misses malformed envelopes", async () => {
      const raw = await sealed("enc:malformed");
      const { iv, data } = envelopeParts(raw);
      const malformed = [
        ["et2", "k1", iv, data].join("."),
        ["", "k1", iv, data].join("."),
        ["et1", "k1", iv].join("."),
        ["et1", "k1"].join("."),
        "et1",
        "",
        "not an envelope",
        ["et1", "k1", iv, data, "extra"].join("."),
        ["et1", "k1", "!!not-base64!!", data].join("."),
        ["et1", "k1", iv, `${data.slice(0, 8)}*${data.slice(9)}`].join("."),
        ["et1", "k1", iv, `${data}A`].join("."),
        ["et1", "k1", "AAAAAAAAAAA", data].join("."),
        ["et1", "k1", "", data].join("."),
        ["et1", "k1", iv, ""].join("."),
      ];
      // Under the name the value was sealed for, so only the envelope itself is at fault.
      for (const value of malformed) {
        await env.TOKENS.put("enc:malformed", value);
        await expect(reader().get("enc:malformed"), value).resolves.toBeUndefined();
      }
      await env.TOKENS.put("enc:malformed", raw);
      expect(await reader().get("enc:malformed")).toBeDefined();
    });

    it("lets the next set replace a value that did not open", async () => {
      await env.TOKENS.put("enc:replace-garbage", "et1.k1.garbage.garbage");
      const time = clock();
      const store = createKvStore(createEncryptedKv(env.TOKENS, { keys: [K1] }), { now: time.now });
      expect(await store.get("enc:replace-garbage")).toBeUndefined();

      const token = makeToken(time.at);
      await store.set("enc:replace-garbage", token);
      expectSameToken(await store.get("enc:replace-garbage"), token);
    });
  });

  describe("key rotation", () => {
    it("reads old values with the old key and seals new ones with the first key", async () => {
      const time = clock();
      const old = createKvStore(createEncryptedKv(env.TOKENS, { keys: [K1] }), { now: time.now });
      const token = makeToken(time.at);
      await old.set("enc:rotate", token);
      expect((await rawValue("enc:rotate")).startsWith("et1.k1.")).toBe(true);

      const rotated = createKvStore(createEncryptedKv(env.TOKENS, { keys: [K2, K1] }), {
        now: time.now,
      });
      expectSameToken(await rotated.get("enc:rotate"), token);

      await rotated.set("enc:rotate", token);
      expect((await rawValue("enc:rotate")).startsWith("et1.k2.")).toBe(true);
      expectSameToken(await rotated.get("enc:rotate"), token);
    });

    it("misses a value once its key is no longer listed", async () => {
      const time = clock();
      const old = createKvStore(createEncryptedKv(env.TOKENS, { keys: [K1] }), { now: time.now });
      await old.set("enc:retired", makeToken(time.at));

      const onlyNew = createKvStore(createEncryptedKv(env.TOKENS, { keys: [K2] }), {
        now: time.now,
      });
      expect(await onlyNew.get("enc:retired")).toBeUndefined();
    });

    it("does not open a value with the same secret under another id", async () => {
      const time = clock();
      const old = createKvStore(createEncryptedKv(env.TOKENS, { keys: [K1] }), { now: time.now });
      await old.set("enc:same-secret", makeToken(time.at));
      const renamed: EncryptionKey = { id: "k1-renamed", secret: K1.secret };
      const store = createKvStore(createEncryptedKv(env.TOKENS, { keys: [renamed] }), {
        now: time.now,
      });

      expect(await store.get("enc:same-secret")).toBeUndefined();

      // Even with the envelope relabelled, the key derived for another id does not open it.
      const { iv, data } = envelopeParts(await rawValue("enc:same-secret"));
      await env.TOKENS.put("enc:same-secret", ["et1", renamed.id, iv, data].join("."));
      expect(await store.get("enc:same-secret")).toBeUndefined();
    });

    it("does not open a value relabelled with another listed key's id", async () => {
      const time = clock();
      const store = createKvStore(createEncryptedKv(env.TOKENS, { keys: [K2, K1] }), {
        now: time.now,
      });
      await store.set("enc:relabel", makeToken(time.at));
      const { iv, data } = envelopeParts(await rawValue("enc:relabel"));
      await env.TOKENS.put("enc:relabel", ["et1", "k1", iv, data].join("."));

      expect(await store.get("enc:relabel")).toBeUndefined();
    });
  });

  describe("configuration errors", () => {
    it("rejects an empty key list", () => {
      const error = configurationError(() => createEncryptedKv(env.TOKENS, { keys: [] }));
      expect(error.code).toBe("configuration");
    });

    it("rejects a short secret without echoing it", () => {
      const secret = "short-SECRET-31-characters-xyz!";
      expect(secret.length).toBe(31);
      const error = configurationError(() =>
        createEncryptedKv(env.TOKENS, { keys: [{ id: "k1", secret }] }),
      );
      expectNoSecret(error, secret);
    });

    it("rejects a key id with a dot without echoing the secret", () => {
      const error = configurationError(() =>
        createEncryptedKv(env.TOKENS, { keys: [{ id: "2026.11", secret: K1.secret }] }),
      );
      expectNoSecret(error, K1.secret);
    });

    it("rejects a bad key in second place without echoing either secret", () => {
      const weak = "weak-SECRET-abc";
      const error = configurationError(() =>
        createEncryptedKv(env.TOKENS, { keys: [K2, { id: "k1", secret: weak }] }),
      );
      expectNoSecret(error, weak);
      expectNoSecret(error, K2.secret);
    });

    it("rejects a key id longer than 32 characters", () => {
      const error = configurationError(() =>
        createEncryptedKv(env.TOKENS, { keys: [{ id: "k".repeat(33), secret: K1.secret }] }),
      );
      expectNoSecret(error, K1.secret);
    });
  });
});

describe("createMemoryStore", () => {
  it("returns the token it stored", async () => {
    const time = clock();
    const store = createMemoryStore({ now: time.now });
    const token = makeToken(time.at);
    await store.set("mem:round-trip", token);

    expectSameToken(await store.get("mem:round-trip"), token);
    expect(await store.get("mem:other")).toBeUndefined();
  });

  it("deletes a token", async () => {
    const time = clock();
    const store = createMemoryStore({ now: time.now });
    await store.set("mem:delete", makeToken(time.at));
    await store.delete("mem:delete");
    expect(await store.get("mem:delete")).toBeUndefined();
  });

  it("drops the least recently set entry past maxEntries", async () => {
    const time = clock();
    const store = createMemoryStore({ maxEntries: 2, now: time.now });
    await store.set("a", makeToken(time.at, { value: "a" }));
    await store.set("b", makeToken(time.at, { value: "b" }));
    await store.set("c", makeToken(time.at, { value: "c" }));

    expect(JSON.parse(JSON.stringify(store))).toEqual({ kind: "memory", entries: 2 });
    expect(await store.get("a")).toBeUndefined();
    expect((await store.get("b"))?.value).toBe("b");
    expect((await store.get("c"))?.value).toBe("c");
  });

  it("counts a get as a use", async () => {
    const time = clock();
    const store = createMemoryStore({ maxEntries: 2, now: time.now });
    await store.set("a", makeToken(time.at, { value: "a" }));
    await store.set("b", makeToken(time.at, { value: "b" }));
    await store.get("a");
    await store.set("c", makeToken(time.at, { value: "c" }));

    expect(await store.get("b")).toBeUndefined();
    expect((await store.get("a"))?.value).toBe("a");
    expect((await store.get("c"))?.value).toBe("c");
  });

  it("does not grow when a key is set again", async () => {
    const time = clock();
    const store = createMemoryStore({ maxEntries: 2, now: time.now });
    await store.set("a", makeToken(time.at, { value: "a1" }));
    await store.set("b", makeToken(time.at, { value: "b" }));
    await store.set("a", makeToken(time.at, { value: "a2" }));

    expect((await store.get("a"))?.value).toBe("a2");
    expect((await store.get("b"))?.value).toBe("b");
  });

  it("misses and drops a token once it has expired", async () => {
    const time = clock();
    const store = createMemoryStore({ now: time.now });
    await store.set("mem:expires", makeToken(time.at, { expiresAt: time.at + seconds(10) }));

    time.advance(seconds(10) - 1);
    expect(await store.get("mem:expires")).toBeDefined();
    time.advance(1);
    expect(await store.get("mem:expires")).toBeUndefined();
    expect(JSON.parse(JSON.stringify(store))).toEqual({ kind: "memory", entries: 0 });
  });

  it("keeps token values out of JSON.stringify", async () => {
    const time = clock();
    const store = createMemoryStore({ now: time.now });
    await store.set("mem:json", makeToken(time.at));

    const json = JSON.stringify(store);
    expect(json).not.toContain("access-VALUE-7f3a9c");
    expect(json).not.toContain("refresh-VALUE-b41d02");
    expect(json).not.toContain("mem:json");
  });
});

describe("storeKeyName", () => {
  const key = {
    provider: "ipospays",
    environment: "sandbox",
    credentialId: "api-key-SECRET-12345",
    scope: "PaymentTokenization",
  };

  it("names provider, environment, fingerprint and scope", async () => {
    const name = await storeKeyName(key);
    expect(name).toBe("edgetoken:v1:ipospays:sandbox:4-BBxT1qHg7Jv8-n:PaymentTokenization");
    expect(name.startsWith("edgetoken:v1:ipospays:sandbox:")).toBe(true);
    expect(name.endsWith(":PaymentTokenization")).toBe(true);
  });

  it("is the same for the same input", async () => {
    expect(await storeKeyName({ ...key })).toBe(await storeKeyName(key));
  });

  it("differs when the credential id differs", async () => {
    const other = await storeKeyName({ ...key, credentialId: "api-key-SECRET-12346" });
    expect(other).not.toBe(await storeKeyName(key));
  });

  it("differs when the scope or environment differs", async () => {
    const base = await storeKeyName(key);
    expect(await storeKeyName({ ...key, scope: "Refunds" })).not.toBe(base);
    expect(await storeKeyName({ ...key, environment: "production" })).not.toBe(base);
  });

  it("never contains the credential id", async () => {
    const name = await storeKeyName(key);
    expect(name).not.toContain(key.credentialId);
    expect(name).not.toContain("SECRET");
  });

  it("URI-encodes a scope with colons or spaces", async () => {
    const name = await storeKeyName({ ...key, scope: "read:payments write" });
    expect(name.endsWith(":read%3Apayments%20write")).toBe(true);
    expect(name.split(":")).toHaveLength(6);
  });

  it("URI-encodes colons in provider and environment", async () => {
    const name = await storeKeyName({ ...key, provider: "a:b", environment: "eu west" });
    expect(name.startsWith("edgetoken:v1:a%3Ab:eu%20west:")).toBe(true);
    expect(name.split(":")).toHaveLength(6);
  });
});

describe("fingerprint", () => {
  it("is the first 96 bits of SHA-256, base64url", async () => {
    expect(await fingerprint("abc")).toBe("ungWv48Bz-pBQUDe");
    expect(await fingerprint("api-key-SECRET-12345")).toBe("4-BBxT1qHg7Jv8-n");
  });

  it("is stable and distinguishes inputs", async () => {
    expect(await fingerprint("client-1")).toBe(await fingerprint("client-1"));
    expect(await fingerprint("client-1")).not.toBe(await fingerprint("client-2"));
    expect(await fingerprint("client-1")).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });
});

describe("Token", () => {
  const token = makeToken(Date.now());

  it("keeps secrets out of JSON.stringify", () => {
    for (const json of [JSON.stringify(token), JSON.stringify({ nested: [token] })]) {
      expect(json).not.toContain(token.value);
      expect(json).not.toContain(token.refreshToken);
      expect(json).toContain("[redacted]");
    }
  });

  it("keeps secrets out of String()", () => {
    for (const text of [String(token), `${token}`]) {
      expect(text).not.toContain(token.value);
      expect(text).not.toContain(token.refreshToken);
    }
  });

  it("keeps secrets out of enumeration", () => {
    const values = Object.values(token).map(String);
    expect(values).not.toContain(token.value);
    expect(values).not.toContain(token.refreshToken);
    expect(Object.keys(token)).not.toContain("value");
  });

  it("still redacts a token read back from KV", async () => {
    const time = clock();
    const store = createKvStore(env.TOKENS, { now: time.now });
    await store.set("token:redacted", token);
    const read = await store.get("token:redacted");

    expect(read?.value).toBe(token.value);
    expect(JSON.stringify(read)).not.toContain(token.value);
    expect(String(read)).not.toContain(token.refreshToken);
  });
});
