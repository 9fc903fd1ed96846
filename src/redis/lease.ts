import * as v from "valibot";
import type { TokenLease } from "../lease.ts";
import { px, type RedisLike } from "./redis-like.ts";

/** Options of {@link createRedisLease}. */
export interface RedisLeaseOptions {
  /** Put before every key name, to share a database with other data. Default: none. */
  prefix?: string;
}

/**
 * How long Redis keeps the newest settled time after the last release: long past any stale read
 * a replica could serve, short enough that an unused key leaves nothing behind for good.
 */
const SETTLED_MS = 24 * 3_600_000;

/**
 * KEYS: lease, settled, taken. ARGV: holder, ms, now, ms to keep. Set-if-absent with expiry; the
 * holder itself may take it again (and extend it), as with the Durable Object lease. A new
 * holder that finds `taken` — when the last holder took the lease, left when a lease lapses
 * unreleased (its release failed, or its process went away) — moves the settled time up to it:
 * that holder may have spent a rotating handle and stored a token obtained after it took the
 * lease. Replies `{held, settled}`.
 */
const ACQUIRE = `local held = redis.call("SET", KEYS[1], ARGV[1], "NX", "PX", ARGV[2])
if held then
  local taken = redis.call("GET", KEYS[3])
  local settled = tonumber(redis.call("GET", KEYS[2]) or "")
  if taken and (settled == nil or tonumber(taken) > settled) then
    redis.call("SET", KEYS[2], taken, "PX", ARGV[4])
  end
  redis.call("SET", KEYS[3], ARGV[3], "PX", ARGV[4])
elseif redis.call("GET", KEYS[1]) == ARGV[1] then
  held = redis.call("SET", KEYS[1], ARGV[1], "XX", "PX", ARGV[2])
end
return { held and 1 or 0, redis.call("GET", KEYS[2]) }`;

/**
 * KEYS: lease, settled, taken. ARGV: holder, settled ("" for none), ms to keep it.
 * Compare-and-delete: the lease (and its `taken`) goes only if this holder still has it, never
 * another's. The settled time only ever moves forward, whoever holds the lease now: a token
 * stored is a token stored.
 */
const RELEASE = `local released = 0
if redis.call("GET", KEYS[1]) == ARGV[1] then
  released = redis.call("DEL", KEYS[1])
  redis.call("DEL", KEYS[3])
end
if ARGV[2] ~= "" then
  local settled = tonumber(redis.call("GET", KEYS[2]) or "")
  if settled == nil or tonumber(ARGV[2]) > settled then
    redis.call("SET", KEYS[2], ARGV[2], "PX", ARGV[3])
  end
end
return released`;

/** `{held, settled}`: Upstash's client may have turned the settled text into a number. */
const AcquireReply = v.tuple([
  v.picklist([0, 1]),
  v.nullable(
    v.pipe(v.union([v.string(), v.number()]), v.transform(Number), v.number(), v.finite()),
  ),
]);

/**
 * A {@link TokenLease} in Redis, for fleets of Node, Bun or Deno processes (or Workers, through
 * Upstash): `SET … NX PX` takes it for one holder until it lapses; release is compare-and-delete
 * (a Lua script), so a holder whose lease lapsed never releases the next holder's. Each key's
 * lease, settled and taken times are one hash slot (`{key}`), so it works on Redis Cluster too.
 *
 * @example
 * const redis = fromNodeRedis(await createClient({ url: process.env.REDIS_URL }).connect());
 * const source = createTokenSource(provider, {
 *   store: createRedisStore(redis),
 *   lease: createRedisLease(redis),
 * });
 */
/* @__NO_SIDE_EFFECTS__ */
export function createRedisLease(redis: RedisLike, options: RedisLeaseOptions = {}): TokenLease {
  const prefix = options.prefix ?? "";
  const names = (key: string): string[] => [
    `${prefix}lease:{${key}}`,
    `${prefix}settled:{${key}}`,
    `${prefix}taken:{${key}}`,
  ];
  // What the last acquire heard Redis had settled on: `settled` needs no round trip of its own.
  const settledSeen = new Map<string, number>();
  return {
    async acquire(key, holder, now, until) {
      const reply = v.safeParse(
        AcquireReply,
        await redis.eval(ACQUIRE, names(key), [
          holder,
          String(px(until - now)),
          String(Math.trunc(now)),
          String(SETTLED_MS),
        ]),
      );
      if (!reply.success) throw new TypeError("Redis answered the lease script unexpectedly.");
      const [held, settled] = reply.output;
      if (settled !== null) settledSeen.set(key, settled);
      return held === 1;
    },
    async release(key, holder, settled) {
      const told = settled !== undefined && Number.isFinite(settled) ? String(settled) : "";
      await redis.eval(RELEASE, names(key), [holder, told, String(SETTLED_MS)]);
    },
    async settled(key) {
      return settledSeen.get(key);
    },
  };
}
