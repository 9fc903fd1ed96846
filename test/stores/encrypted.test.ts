/** createEncryptedKv: AES-GCM envelopes over real local KV, tampering, key rotation, bad keys. */

import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  createEncryptedKv,
  createKvStore,
  type EdgeTokenError,
  type EncryptionKey,
  isEdgeTokenError,
} from "../../src/index.ts";
import { recordError } from "../support/leaks.ts";
import {
  clock,
  expectSameToken,
  kvExpiration,
  makeToken,
  seconds,
} from "../support/stored-tokens.ts";

// KV storage is shared by every test in this file: each test uses its own key names.

const K1: EncryptionKey = { id: "k1", secret: "k1-secret-0123456789abcdefghijklmnopqrstuv" };
const K2: EncryptionKey = { id: "k2", secret: "k2-secret-zyxwvutsrqponmlkjihgfedcba987654" };

async function rawValue(key: string): Promise<string> {
  const raw = await env.TOKENS.get(key, "text");
  if (raw === null) throw new Error(`no raw value under ${key}`);
  return raw;
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
    recordError(error);
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
