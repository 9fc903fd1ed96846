import type { RedisLike } from "./redis-like.ts";

/**
 * The part of an `@upstash/redis` client the adapter calls: `new Redis({ url, token })` or
 * `Redis.fromEnv()` fits as is, from any of its entries (`@upstash/redis`, `/cloudflare`,
 * `/fastly`).
 */
export interface UpstashRedisLike {
  get(key: string): Promise<unknown>;
  set(key: string, value: string, options: { px: number }): Promise<unknown>;
  eval(script: string, keys: string[], args: string[]): Promise<unknown>;
}

/**
 * An `@upstash/redis` client as a {@link RedisLike}: Redis over HTTPS with `fetch` only, so the
 * store and the lease run wherever edgetoken runs — Workers, Deno, Bun, Node, browsers. The
 * client's automatic JSON decoding (on by default) turns a stored record back into an object:
 * the adapter writes it back as the text it was (a record is `JSON.stringify`'s output, which
 * comes back the same byte for byte). `automaticDeserialization: false` skips both steps.
 *
 * @see https://upstash.com/docs/redis/sdks/ts/overview
 * @example
 * import { Redis } from "@upstash/redis/cloudflare";
 * const redis = fromUpstash(new Redis({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN }));
 */
/* @__NO_SIDE_EFFECTS__ */
export function fromUpstash(client: UpstashRedisLike): RedisLike {
  return {
    async get(key) {
      const value = await client.get(key);
      return value === null || typeof value === "string" ? value : JSON.stringify(value);
    },
    async set(key, value, ms) {
      await client.set(key, value, { px: ms });
    },
    eval(script, keys, args) {
      return client.eval(script, [...keys], [...args]);
    },
  };
}
