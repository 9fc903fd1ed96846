import * as v from "valibot";
import { fromBase64url, toBase64url } from "../internal/base64url.ts";
import { parseConfig } from "../parse.ts";
import type { KvNamespaceLike } from "./kv.ts";

/** One encryption key: an id written into every value it seals, and the secret it comes from. */
export interface EncryptionKey {
  /** Letters, digits, `_` and `-`; up to 32 characters. Written in clear into each value. */
  id: string;
  /** At least 32 characters of high-entropy secret (a Worker secret, say). */
  secret: string;
}

/** Options of {@link createEncryptedKv}. */
export interface EncryptedKvOptions {
  /**
   * The first key seals every new value; all of them open old ones. To rotate, put the new key
   * first and keep the old one until every value it sealed has expired.
   */
  keys: readonly EncryptionKey[];
}

const KeysSchema = v.pipe(
  v.array(
    v.object({
      id: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,32}$/, "letters, digits, _ or -, 1–32")),
      secret: v.pipe(v.string(), v.minLength(32, "at least 32 characters")),
    }),
  ),
  v.minLength(1, "at least one key"),
);

const PREFIX = "et1";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A 256-bit AES-GCM key derived from the secret with HKDF-SHA-256. The key id is part of the
 * derivation, so the same secret under two ids gives two unrelated keys.
 */
async function deriveKey(key: EncryptionKey): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey("raw", encoder.encode(key.secret), "HKDF", false, [
    "deriveKey",
  ]);
  return crypto.subtle.deriveKey(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt: encoder.encode("edgetoken/kv/aes-256-gcm"),
      info: encoder.encode(key.id),
    },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

/**
 * Wraps a KV namespace so every value is sealed with AES-256-GCM: a fresh 96-bit IV per write,
 * the key name as additional data (a value copied under another name does not open), and the key
 * id in the envelope (`et1.<kid>.<iv>.<ciphertext>`) so keys can rotate. A value that does not
 * open — corrupt, moved, or sealed with a key no longer listed — reads as missing.
 *
 * @example
 * const kv = createEncryptedKv(env.TOKENS, { keys: [{ id: "2026-11", secret: env.TOKEN_KEY }] });
 * const store = createKvStore(kv);
 */
export function createEncryptedKv(
  namespace: KvNamespaceLike,
  options: EncryptedKvOptions,
): KvNamespaceLike {
  const keys: readonly EncryptionKey[] = parseConfig(
    options.keys,
    KeysSchema,
    "createEncryptedKv keys",
  );
  const derived = new Map<string, Promise<CryptoKey>>();
  const cryptoKey = (key: EncryptionKey): Promise<CryptoKey> => {
    let found = derived.get(key.id);
    if (found === undefined) {
      found = deriveKey(key);
      derived.set(key.id, found);
    }
    return found;
  };
  const [sealing] = keys as [EncryptionKey];

  async function open(name: string, envelope: string): Promise<string | null> {
    const [prefix, kid, ivText, dataText, ...rest] = envelope.split(".");
    if (prefix !== PREFIX || rest.length > 0 || ivText === undefined || dataText === undefined) {
      return null;
    }
    const key = keys.find((candidate) => candidate.id === kid);
    const iv = fromBase64url(ivText);
    const data = fromBase64url(dataText);
    if (key === undefined || iv?.byteLength !== 12 || data === undefined) return null;
    try {
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv, additionalData: encoder.encode(name) },
        await cryptoKey(key),
        data,
      );
      return decoder.decode(plain);
    } catch {
      return null;
    }
  }

  return {
    async get(name: string): Promise<string | null> {
      const envelope = await namespace.get(name, "text");
      return envelope === null ? null : open(name, envelope);
    },
    async put(name, value, putOptions): Promise<void> {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const sealed = await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: encoder.encode(name) },
        await cryptoKey(sealing),
        encoder.encode(value),
      );
      const envelope = `${PREFIX}.${sealing.id}.${toBase64url(iv)}.${toBase64url(new Uint8Array(sealed))}`;
      await namespace.put(name, envelope, putOptions);
    },
    delete(name: string): Promise<void> {
      return namespace.delete(name);
    },
  };
}
