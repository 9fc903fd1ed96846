import type { TokenStore } from "../store.ts";
import type { Token } from "../token.ts";
import { decodeToken, encodeToken } from "./record.ts";

/**
 * The part of a Workers KV namespace edgetoken uses. A `KVNamespace` binding fits as is; so does
 * {@link createEncryptedKv}'s wrapper, or an adapter over any other string key-value store.
 */
export interface KvNamespaceLike {
  get(key: string, type: "text"): Promise<string | null>;
  put(key: string, value: string, options?: { expirationTtl?: number }): Promise<void>;
  delete(key: string): Promise<void>;
}

/** Options of {@link createKvStore}. */
export interface KvStoreOptions {
  /** The clock, in epoch milliseconds, for expiry checks. Default `Date.now`. */
  now?: () => number;
}

/**
 * Workers KV refuses an `expirationTtl` below 60 seconds: a store entry (or anything else put in
 * KV with a lifetime) is kept at least this long.
 *
 * @see https://developers.cloudflare.com/kv/api/write-key-value-pairs/#expiring-keys
 * @example
 * await kv.put(key, value, { expirationTtl: Math.max(KV_MIN_TTL_SECONDS, seconds) });
 */
export const KV_MIN_TTL_SECONDS = 60;

/**
 * Tokens in Workers KV, shared by every isolate in every colo. Entries expire with their token
 * (never less than KV's 60 s minimum); values are validated when read, and a corrupt or expired
 * one is a miss that the next write replaces. A KV call that fails rejects: the token source
 * reports it as `store_failed` and goes on without the store. KV is eventually consistent and has no
 * compare-and-swap: two colos may each obtain a token at the same moment. Wrap the namespace
 * with {@link createEncryptedKv} so a KV dump does not hold usable tokens.
 *
 * @see https://developers.cloudflare.com/kv/api/write-key-value-pairs/#expiring-keys
 * @example
 * export default {
 *   async fetch(request, env, ctx) {
 *     source ??= createTokenSource(provider, { store: createKvStore(env.TOKENS) });
 *     return source.fetch("https://api.example/charge", { method: "POST" }, { ctx });
 *   },
 * };
 */
export function createKvStore(
  namespace: KvNamespaceLike,
  options: KvStoreOptions = {},
): TokenStore {
  const now = options.now ?? Date.now;
  return {
    async get(key: string): Promise<Token | undefined> {
      // A KV that fails is not a miss: its error reaches the token source, which reports it
      // (`store_failed`) and goes on without the store.
      const text = await namespace.get(key, "text");
      const token = decodeToken(text, key);
      return token !== undefined && token.expiresAt > now() ? token : undefined;
    },
    async set(key: string, token: Token): Promise<void> {
      const seconds = Math.ceil((token.expiresAt - now()) / 1000);
      await namespace.put(key, encodeToken(token, key), {
        expirationTtl: Math.max(KV_MIN_TTL_SECONDS, seconds),
      });
    },
    async delete(key: string): Promise<void> {
      await namespace.delete(key);
    },
  };
}
