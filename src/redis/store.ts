import type { TokenStore } from "../store.ts";
import { decodeToken, encodeToken } from "../stores/record.ts";
import type { Token } from "../token.ts";
import { getText, px, type RedisLike } from "./redis-like.ts";

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /** Put before every key name, to share a database with other data. Default: none. */
  prefix?: string;
  /** The clock, in epoch milliseconds, for expiry checks. Default `Date.now`. */
  now?: () => number;
}

/** Deletes `KEYS[1]` only if it still holds exactly `ARGV[1]`. */
const COMPARE_AND_DELETE =
  'if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0';
const DELETE = 'return redis.call("DEL", KEYS[1])';

/**
 * Tokens in Redis, shared by every process that reaches it: the same versioned records as the KV
 * store, each under its key name and expiring with its token (`PX`), checked when read — a
 * corrupt, expired or foreign record is a miss that the next write replaces. A Redis call that
 * fails rejects: the token source reports `store_failed` and goes on without the store.
 * `invalidate()` deletes by compare-and-delete (`deleteIf`): a newer token another process
 * stored meanwhile survives. Pair it with {@link createRedisLease} so one process per key calls
 * the provider.
 *
 * @example
 * import { Redis } from "@upstash/redis";
 * import { createRedisLease, createRedisStore, fromUpstash } from "edgetoken/redis";
 *
 * const redis = fromUpstash(new Redis({ url: env.UPSTASH_URL, token: env.UPSTASH_TOKEN }));
 * const source = createTokenSource(provider, {
 *   store: createRedisStore(redis),
 *   lease: createRedisLease(redis),
 * });
 */
/* @__NO_SIDE_EFFECTS__ */
export function createRedisStore(redis: RedisLike, options: RedisStoreOptions = {}): TokenStore {
  const prefix = options.prefix ?? "";
  const now = options.now ?? Date.now;
  return {
    async get(key: string): Promise<Token | undefined> {
      const token = decodeToken(await getText(redis, prefix + key), key);
      return token !== undefined && token.expiresAt > now() ? token : undefined;
    },
    async set(key: string, token: Token): Promise<void> {
      await redis.set(prefix + key, encodeToken(token, key), px(token.expiresAt - now()));
    },
    async delete(key: string): Promise<void> {
      await redis.eval(DELETE, [prefix + key], []);
    },
    async deleteIf(key: string, value: string): Promise<void> {
      const name = prefix + key;
      const text = await getText(redis, name);
      if (text === null) return;
      const token = decodeToken(text, key);
      // Another process's token stays. Ours goes, and so does a record nobody can read — but
      // only if it is still, byte for byte, what was read: a token stored since then survives.
      if (token !== undefined && token.value !== value) return;
      await redis.eval(COMPARE_AND_DELETE, [name], [text]);
    },
  };
}
