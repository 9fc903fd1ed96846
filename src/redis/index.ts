export { createRedisLease, type RedisLeaseOptions } from "./lease.ts";
export { fromNodeRedis, type NodeRedisLike } from "./node-redis.ts";
export type { RedisLike } from "./redis-like.ts";
export { createRedisStore, type RedisStoreOptions } from "./store.ts";
export { fromUpstash, type UpstashRedisLike } from "./upstash.ts";
