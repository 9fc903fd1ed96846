import { commit, expireIn, readEntry, retrying } from "../internal/deno-kv-calls.ts";
import type { TokenStore } from "../store.ts";
import type { Token } from "../token.ts";
import type { KvNamespaceLike } from "./kv.ts";
import { decodeToken, encodeToken } from "./record.ts";

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

/**
 * The part of a `Deno.AtomicOperation` edgetoken uses: versionstamp checks, then writes that
 * happen together or not at all.
 */
export interface DenoKvAtomicOperationLike {
  check(
    ...checks: { key: readonly string[]; versionstamp: string | null }[]
  ): DenoKvAtomicOperationLike;
  set(
    key: readonly string[],
    value: unknown,
    options?: { expireIn?: number },
  ): DenoKvAtomicOperationLike;
  delete(key: readonly string[]): DenoKvAtomicOperationLike;
  /** `ok: false` when a check failed (another write came first): nothing was written. */
  commit(): Promise<{ ok: boolean; versionstamp?: string }>;
}

/**
 * A {@link DenoKvLike} with versionstamps and atomic operations, for {@link createDenoKvStore}'s
 * compare-and-delete and {@link createDenoKvLease}: `await Deno.openKv()` fits as is.
 */
export interface DenoKvAtomicLike extends DenoKvLike {
  get(
    key: readonly string[],
    options?: { consistency?: "strong" | "eventual" },
  ): Promise<{ value: unknown; versionstamp: string | null }>;
  atomic(): DenoKvAtomicOperationLike;
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
 * {@link createDenoKvStore} writes the same records and also invalidates by compare-and-delete.
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

/** Options of {@link createDenoKvStore}. */
export interface DenoKvStoreOptions extends DenoKvNamespaceOptions {
  /** The clock, in epoch milliseconds, for expiry checks. Default `Date.now`. */
  now?: () => number;
}

/**
 * Tokens in Deno KV, on Deno Deploy or shared by the Deno processes that open one database file:
 * the same records as {@link createKvStore} over {@link createDenoKvNamespace} (each reads the
 * other's), each expiring with its token (`expireIn`) and checked when read — a corrupt, expired
 * or foreign value is a miss that the next write replaces. `invalidate()` deletes by
 * compare-and-delete (`deleteIf`, an atomic check on the entry's versionstamp): a newer token
 * another instance stored meanwhile survives. A call that fails is tried again a few times
 * within milliseconds, then rejects: the token source reports `store_failed` and goes on without
 * the store. Pair it with {@link createDenoKvLease} so one instance per key calls the provider.
 *
 * @see https://docs.deno.com/deploy/kv/manual/transactions/
 * @example
 * const kv = await Deno.openKv();
 * const source = createTokenSource(provider, {
 *   store: createDenoKvStore(kv),
 *   lease: createDenoKvLease(kv),
 * });
 */
/* @__NO_SIDE_EFFECTS__ */
export function createDenoKvStore(
  kv: DenoKvAtomicLike,
  options: DenoKvStoreOptions = {},
): TokenStore {
  const prefix = [...(options.prefix ?? ["edgetoken"])];
  const consistency = options.consistency ?? "strong";
  const now = options.now ?? Date.now;
  return {
    async get(key: string): Promise<Token | undefined> {
      const entry = await retrying(() => readEntry(kv, [...prefix, key], consistency));
      // Anything but text was not written by us: a miss, which the next write replaces.
      const token = decodeToken(typeof entry.value === "string" ? entry.value : null, key);
      return token !== undefined && token.expiresAt > now() ? token : undefined;
    },
    async set(key: string, token: Token): Promise<void> {
      const text = encodeToken(token, key);
      const ttl = expireIn(token.expiresAt - now());
      await retrying(() => kv.set([...prefix, key], text, { expireIn: ttl }));
    },
    async delete(key: string): Promise<void> {
      await retrying(() => kv.delete([...prefix, key]));
    },
    async deleteIf(key: string, value: string): Promise<void> {
      const name = [...prefix, key];
      // Strong, whatever reads use: the versionstamp checked must be the newest.
      const entry = await retrying(() => readEntry(kv, name));
      if (entry.versionstamp === null) return;
      const token = decodeToken(typeof entry.value === "string" ? entry.value : null, key);
      // Another instance's token stays. Ours goes, and so does a value nobody can read — but only
      // if it is still the entry that was read: a token stored since then has another versionstamp.
      if (token !== undefined && token.value !== value) return;
      const checked = { key: name, versionstamp: entry.versionstamp };
      await retrying(() => commit(kv.atomic().check(checked).delete(name)));
    },
  };
}
