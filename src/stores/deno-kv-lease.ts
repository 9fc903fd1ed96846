import * as v from "valibot";
import { commit, expireIn, readEntry, retrying } from "../internal/deno-kv-calls.ts";
import type { TokenLease } from "../lease.ts";
import type { DenoKvAtomicLike } from "./deno-kv.ts";

/** Options of {@link createDenoKvLease}. */
export interface DenoKvLeaseOptions {
  /**
   * Key parts put before every key, to share a database with other data; the same as the
   * store's is fine (the lease's keys have parts of their own). Default `["edgetoken"]`.
   */
  prefix?: readonly string[];
}

/** Who holds a key's lease, since when and until when (epoch ms, the holder's clock). */
const LeaseRecordSchema = v.object({
  holder: v.string(),
  until: v.pipe(v.number(), v.finite()),
  taken: v.optional(v.pipe(v.number(), v.finite())),
});

const SettledSchema = v.pipe(v.number(), v.finite());

/**
 * How long Deno KV keeps the newest settled time after the last release: long past any stale
 * read a replica could serve, short enough that an unused key leaves nothing behind for good.
 */
const SETTLED_MS = 24 * 3_600_000;

/**
 * How many times acquire or release reads again after another instance's write got in between
 * its read and its commit. One is the usual most: after it the answer is known.
 */
const RACES = 3;

/**
 * A {@link TokenLease} in Deno KV, for Deno Deploy or Deno processes that open one database
 * file: one instance per key calls the provider, the others wait for its token in the store.
 * Acquire reads the lease and commits it for this holder only if its versionstamp is still the
 * one read (an atomic check): absent, lapsed (its `until` is past — Deno KV's own `expireIn`
 * deletes lazily, so the time is compared here) or already this holder's. Release is
 * compare-and-delete on the versionstamp this holder wrote, so a holder whose lease lapsed never
 * releases the next holder's. A lease that lapses unreleased (a release that failed, an isolate
 * that went away) counts as settled at the time it was taken, as the Durable Object and Redis
 * leases do: its holder may have spent a rotating refresh handle, so no copy of the store older
 * than that take is spent again. A call that throws is tried again a few times within milliseconds,
 * then rejects: the token source goes on without the lease (single flight per instance).
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
export function createDenoKvLease(
  kv: DenoKvAtomicLike,
  options: DenoKvLeaseOptions = {},
): TokenLease {
  const prefix = [...(options.prefix ?? ["edgetoken"])];
  const leaseKey = (key: string): string[] => [...prefix, "lease", key];
  const settledKey = (key: string): string[] => [...prefix, "settled", key];
  // What the last acquire read of the settled time: `settled` needs no round trip of its own.
  const settledSeen = new Map<string, number>();
  // The versionstamp each holder's lease was written at, per key: what release checks.
  const written = new Map<string, string>();
  const writtenKey = (key: string, holder: string): string => `${holder}\n${key}`;

  /** The settled time moves forward only, whoever holds the lease now: a token stored is stored. */
  const settle = async (key: string, settled: number): Promise<void> => {
    const name = settledKey(key);
    for (let race = 0; race < RACES; race++) {
      const entry = await retrying(() => readEntry(kv, name));
      const current = v.safeParse(SettledSchema, entry.value);
      if (current.success && current.output >= settled) return;
      const checked = { key: name, versionstamp: entry.versionstamp };
      const operation = () =>
        commit(kv.atomic().check(checked).set(name, settled, { expireIn: SETTLED_MS }));
      if ((await retrying(operation)) !== null) return;
    }
  };

  /** Compare-and-delete: the lease goes only while it is still the one `holder` wrote. */
  const giveBack = async (name: string[], holder: string, stamp?: string): Promise<void> => {
    let versionstamp = stamp;
    if (versionstamp === undefined) {
      // Taken through another lease object on this database: delete it only if it is ours.
      const entry = await retrying(() => readEntry(kv, name));
      const current = v.safeParse(LeaseRecordSchema, entry.value);
      if (!current.success || current.output.holder !== holder || entry.versionstamp === null) {
        return;
      }
      versionstamp = entry.versionstamp;
    }
    const checked = { key: name, versionstamp };
    // `null` (a failed check): the lease lapsed and another holder has it now. It stays.
    await retrying(() => commit(kv.atomic().check(checked).delete(name)));
  };

  return {
    async acquire(key, holder, now, until) {
      // A record this lease could not read back would hold nobody off.
      if (!Number.isFinite(now) || !Number.isFinite(until)) {
        throw new TypeError("The lease's now and until must be finite epoch milliseconds.");
      }
      const name = leaseKey(key);
      for (let race = 0; race < RACES; race++) {
        const [lease, settled] = await Promise.all([
          retrying(() => readEntry(kv, name)),
          retrying(() => readEntry(kv, settledKey(key))),
        ]);
        const told = v.safeParse(SettledSchema, settled.value);
        if (told.success) settledSeen.set(key, told.output);
        // A value that is not a lease record was not written by us: it holds nothing.
        const current = v.safeParse(LeaseRecordSchema, lease.value);
        if (current.success && current.output.holder !== holder && current.output.until > now) {
          return false;
        }
        const checked = { key: name, versionstamp: lease.versionstamp };
        const record = { holder, until, taken: now };
        const ttl = { expireIn: expireIn(until - now) };
        // Another holder's lease that lapsed: settled at its take, in the same commit (checked,
        // so the settled time never moves back).
        const lapsedAt =
          current.success && current.output.holder !== holder
            ? (current.output.taken ?? current.output.until)
            : undefined;
        const bump =
          lapsedAt !== undefined && (!told.success || lapsedAt > told.output)
            ? lapsedAt
            : undefined;
        const operation = () => {
          const atomic = kv.atomic().check(checked).set(name, record, ttl);
          return commit(
            bump === undefined
              ? atomic
              : atomic
                  .check({ key: settledKey(key), versionstamp: settled.versionstamp })
                  .set(settledKey(key), bump, { expireIn: SETTLED_MS }),
          );
        };
        const versionstamp = await retrying(operation);
        if (versionstamp !== null) {
          written.set(writtenKey(key, holder), versionstamp);
          if (bump !== undefined) settledSeen.set(key, bump);
          return true;
        }
        // Another instance wrote the lease between our read and our commit: read it again.
      }
      return false;
    },
    async release(key, holder, settled) {
      const name = leaseKey(key);
      const versionstamp = written.get(writtenKey(key, holder));
      written.delete(writtenKey(key, holder));
      try {
        // The settled time first: the next holder, once it has the lease, must find it.
        if (settled !== undefined && Number.isFinite(settled)) await settle(key, settled);
      } finally {
        await giveBack(name, holder, versionstamp);
      }
    },
    async settled(key) {
      return settledSeen.get(key);
    },
  };
}
