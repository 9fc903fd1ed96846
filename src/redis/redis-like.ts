import * as v from "valibot";

/**
 * The three Redis commands edgetoken's store and lease send. {@link fromUpstash} and
 * {@link fromNodeRedis} turn those clients into one; for any other client, write these three
 * methods over it. A command that fails rejects; the store and the lease check every reply.
 *
 * @example
 * const redis: RedisLike = fromUpstash(new Redis({ url, token }));
 * const store = createRedisStore(redis);
 */
export interface RedisLike {
  /** `GET key`: the text stored there, or `null`. */
  get(key: string): Promise<string | null>;
  /** `SET key value PX ms`. */
  set(key: string, value: string, ms: number): Promise<void>;
  /** `EVAL script numkeys …keys …args`: the script's reply, as the client decodes it. */
  eval(script: string, keys: readonly string[], args: readonly string[]): Promise<unknown>;
}

const GetReply = v.nullable(v.string());

/**
 * `GET key`, checked: text or `null`. Anything else (a client that decodes replies into
 * Buffers, say) rejects, so the token source reports `store_failed` instead of calling the
 * provider on every request without a word.
 */
export async function getText(redis: RedisLike, key: string): Promise<string | null> {
  const result = v.safeParse(GetReply, await redis.get(key));
  if (!result.success) {
    throw new TypeError("Redis GET answered neither text nor nil: the client must decode strings.");
  }
  return result.output;
}

/** A duration for `PX`: a whole number of milliseconds, at least 1 (Redis refuses 0). */
export function px(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}
