import type { KvNamespaceLike } from "./kv.ts";

/**
 * The part of a `Deno.Kv` edgetoken uses, so `src/` needs no Deno types: `await Deno.openKv()`
 * fits as is.
 */
export interface DenoKvLike {
  get(
    key: readonly string[],
    options?: { consistency?: "strong" | "eventual" },
  ): Promise<{ value: unknown }>;
  set(key: readonly string[], value: string, options?: { expireIn?: number }): Promise<unknown>;
  delete(key: readonly string[]): Promise<void>;
}

/** Options of {@link createDenoKvNamespace}. */
export interface DenoKvNamespaceOptions {
  /** Key parts put before every key name, to share a database with other data. Default `["edgetoken"]`. */
  prefix?: readonly string[];
  /**
   * Read consistency. `"eventual"` reads the nearest replica on Deno Deploy: faster, and no worse
   * than Workers KV (the token source already copes with two instances refreshing at once).
   * Default `"strong"`.
   */
  consistency?: "strong" | "eventual";
}

/**
 * Deno KV as a {@link KvNamespaceLike}, for {@link createKvStore} on Deno Deploy or any Deno
 * process. Values are the same text records as in Workers KV, under `[...prefix, keyName]`; an
 * `expirationTtl` becomes Deno KV's `expireIn` (milliseconds). Deno KV may keep an entry a
 * little past its expiry; the store checks the token's own expiry on every read.
 *
 * @see https://docs.deno.com/deploy/kv/manual/key_expiration/
 * @example
 * const kv = await Deno.openKv();
 * const source = createTokenSource(provider, { store: createKvStore(createDenoKvNamespace(kv)) });
 */
/* @__NO_SIDE_EFFECTS__ */
export function createDenoKvNamespace(
  kv: DenoKvLike,
  options: DenoKvNamespaceOptions = {},
): KvNamespaceLike {
  const prefix = [...(options.prefix ?? ["edgetoken"])];
  const consistency = options.consistency ?? "strong";
  return {
    async get(key: string): Promise<string | null> {
      const entry = await kv.get([...prefix, key], { consistency });
      // Anything but text was not written by us: a miss, which the next write replaces.
      return typeof entry.value === "string" ? entry.value : null;
    },
    async put(key: string, value: string, put?: { expirationTtl?: number }): Promise<void> {
      const ttl = put?.expirationTtl;
      await kv.set(
        [...prefix, key],
        value,
        ttl === undefined ? undefined : { expireIn: Math.max(0, ttl) * 1000 },
      );
    },
    async delete(key: string): Promise<void> {
      await kv.delete([...prefix, key]);
    },
  };
}
