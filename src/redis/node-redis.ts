import type { RedisLike } from "./redis-like.ts";

/**
 * The part of a node-redis client (the `redis` package, version 5 or later) the adapter calls:
 * `createClient()` and `createCluster()` fit as is, once connected.
 */
export interface NodeRedisLike {
  get(key: string): Promise<unknown>;
  set(
    key: string,
    value: string,
    options: { expiration: { type: "PX"; value: number } },
  ): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/**
 * A node-redis client as a {@link RedisLike}: Redis over TCP, for Node and Bun. Create the
 * client with `disableOfflineQueue: true`, so a command sent while Redis is unreachable fails at
 * once (the token source goes on without Redis) instead of waiting to run, late, after the
 * reconnect; and listen for its `error` event, which Node otherwise turns into a crash.
 *
 * @see https://github.com/redis/node-redis
 * @example
 * import { createClient } from "redis";
 * const client = createClient({ url: process.env.REDIS_URL, disableOfflineQueue: true });
 * client.on("error", (error) => console.error("redis:", error.message));
 * const redis = fromNodeRedis(await client.connect());
 */
/* @__NO_SIDE_EFFECTS__ */
export function fromNodeRedis(client: NodeRedisLike): RedisLike {
  return {
    async get(key) {
      return (await client.get(key)) as string | null; // checked by the store
    },
    async set(key, value, ms) {
      await client.set(key, value, { expiration: { type: "PX", value: ms } });
    },
    eval(script, keys, args) {
      return client.eval(script, { keys: [...keys], arguments: [...args] });
    },
  };
}
