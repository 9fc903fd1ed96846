/**
 * Compile-time proof, checked by `npm run typecheck`: the real clients fit the adapters' small
 * interfaces as they are, and take the very arguments the adapters pass — so `src/redis/` needs
 * neither package, not even for its types.
 */
import type { Redis as UpstashNode } from "@upstash/redis";
import type { Redis as UpstashCloudflare } from "@upstash/redis/cloudflare";
import type { createClient, createCluster } from "redis";
import type { NodeRedisLike, UpstashRedisLike } from "../../src/redis/index.ts";

type Fits<Client extends Interface, Interface> = Client;

export type UpstashFits = [
  Fits<UpstashNode, UpstashRedisLike>,
  Fits<UpstashCloudflare, UpstashRedisLike>,
];
export type NodeRedisFits = [
  Fits<ReturnType<typeof createClient>, NodeRedisLike>,
  Fits<ReturnType<typeof createCluster>, NodeRedisLike>,
];

/** The calls `fromUpstash` and `fromNodeRedis` make, spelled against the clients' own types. */
export function adapterCalls(
  upstash: UpstashNode,
  node: ReturnType<typeof createClient>,
): Promise<unknown>[] {
  return [
    upstash.get("key"),
    upstash.set("key", "value", { px: 1 }),
    upstash.eval("return 1", ["key"], ["arg"]),
    node.get("key"),
    node.set("key", "value", { expiration: { type: "PX", value: 1 } }),
    node.eval("return 1", { keys: ["key"], arguments: ["arg"] }),
  ];
}
