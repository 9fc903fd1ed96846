import * as v from "valibot";
import type { TokenLease } from "../lease.ts";
import type { BroadcastChannelLike } from "./broadcast.ts";

/** The part of the Web Locks API's `LockManager` the lease uses (`navigator.locks`). */
export interface LockManagerLike {
  request(
    name: string,
    options: { ifAvailable?: boolean; steal?: boolean },
    callback: (lock: unknown) => Promise<unknown> | unknown,
  ): Promise<unknown>;
  /** Which contexts hold which locks: a lock is taken from a holder only if it still holds it. */
  query?(): Promise<unknown>;
}

/** Options of {@link createWebLocksLease}. */
export interface WebLocksLeaseOptions {
  /** Put before every lock's name. Default `"edgetoken:"`. */
  prefix?: string;
  /**
   * Taken over from a holder this long past its lease (`leaseMs`): a tab that holds the lock but
   * no longer runs (frozen, hung in a loop) does not hold the others off for good. Default 1 000 ms.
   */
  graceMs?: number;
  /** The Web Locks API. Default `navigator.locks`. */
  locks?: LockManagerLike;
  /**
   * Where holders say until when they hold a lock, for the tabs that wait. Default a
   * `BroadcastChannel` named `"edgetoken.locks"`; none where there is none.
   */
  channel?: BroadcastChannelLike;
}

const Holding = v.variant("t", [
  v.object({
    t: v.literal("edgetoken.held"),
    name: v.pipe(v.string(), v.maxLength(1100)),
    until: v.pipe(v.number(), v.finite()),
  }),
  v.object({ t: v.literal("edgetoken.freed"), name: v.pipe(v.string(), v.maxLength(1100)) }),
]);

/** What `navigator.locks.query()` answers, as far as the lease reads it. */
const Snapshot = v.object({
  held: v.array(v.object({ name: v.string(), clientId: v.optional(v.string()) })),
});

function defaultLocks(): LockManagerLike | undefined {
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  return typeof locks?.request === "function" ? locks : undefined;
}

function openChannel(name: string): BroadcastChannelLike | undefined {
  const Channel = (globalThis as { BroadcastChannel?: new (name: string) => BroadcastChannelLike })
    .BroadcastChannel;
  return Channel === undefined ? undefined : new Channel(name);
}

/**
 * A {@link TokenLease} on the Web Locks API, for the tabs of one origin: the tab that takes a
 * key's lock asks for the token while the others wait for it in the shared store
 * ({@link createBroadcastStore}), so three tabs make one token request per renewal, not three.
 * The browser releases a lock when its tab closes or crashes, so a tab closed mid-refresh holds
 * nobody up; a holder that no longer runs (a hung or paused tab) is taken over `graceMs` after
 * its lease ran out, by one tab; and the token source itself stops waiting after `leaseMs`.
 *
 * `undefined` where there is no `navigator.locks` (an old browser, or a page that is not a
 * secure context — `http://` other than localhost): each tab then refreshes for itself (single
 * flight within the tab), still taking another tab's newer token from the store when it finds one.
 *
 * @see https://developer.mozilla.org/docs/Web/API/Web_Locks_API
 * @example
 * import { createBroadcastStore, createWebLocksLease } from "edgetoken/browser";
 * const source = createTokenSource(broker({ brokerUrl, scope, sessionUrl: "/checkout/token" }), {
 *   store: createBroadcastStore(),
 *   lease: createWebLocksLease(), // undefined without navigator.locks: each tab on its own
 * });
 */
/* @__NO_SIDE_EFFECTS__ */
export function createWebLocksLease(options: WebLocksLeaseOptions = {}): TokenLease | undefined {
  const locks = options.locks ?? defaultLocks();
  if (locks === undefined) return undefined;
  const prefix = options.prefix ?? "edgetoken:";
  const graceMs = Math.max(0, options.graceMs ?? 1_000);
  const channel = options.channel ?? openChannel("edgetoken.locks");
  /** The locks this tab holds: what gives each back. */
  const holding = new Map<string, { holder: string; give: () => void; drop: () => void }>();
  /**
   * What this tab knows of the others' locks: until when (wall clock) a holder said it holds
   * one, or — for a lock taken before this tab heard anything — when this tab first found it
   * taken plus the lease's length.
   */
  const others = new Map<string, { until: number; client?: string | undefined }>();

  channel?.addEventListener("message", (event) => {
    const parsed = v.safeParse(Holding, event.data);
    if (!parsed.success) return;
    if (parsed.output.t === "edgetoken.held") {
      // A holder announces a lease from now on: one already over when it arrives is not a
      // holder's (any script of the origin can post here), and must not make a live one overdue.
      if (!(parsed.output.until > Date.now())) return;
      others.set(parsed.output.name, { until: parsed.output.until });
    } else others.delete(parsed.output.name);
  });
  const tell = (message: v.InferOutput<typeof Holding>): void => {
    try {
      channel?.postMessage(message);
    } catch {
      // Nobody hears: the others still stop waiting after leaseMs.
    }
  };

  /** Takes the lock (`steal`: from a holder that ran out); resolves once held or refused. */
  const take = (name: string, holder: string, ms: number, steal: boolean): Promise<boolean> =>
    new Promise<boolean>((resolve, reject) => {
      const requested = locks.request(
        name,
        steal ? { steal: true } : { ifAvailable: true },
        (lock) => {
          if (lock === null) {
            resolve(false);
            return undefined;
          }
          return new Promise<void>((done) => {
            // The lease runs out even if the holder never gives it back.
            const timer = setTimeout(give, ms);
            function give(): void {
              clearTimeout(timer);
              if (holding.get(name)?.holder === holder) holding.delete(name);
              tell({ t: "edgetoken.freed", name });
              done();
            }
            // Stolen from us (we were the one that stopped running): nothing left to give back.
            const drop = (): void => {
              clearTimeout(timer);
              if (holding.get(name)?.holder === holder) holding.delete(name);
            };
            holding.set(name, { holder, give, drop });
            others.delete(name);
            tell({ t: "edgetoken.held", name, until: Date.now() + ms });
            // One turn of the event loop first: a token the last holder stored just before it
            // let go is then heard before the source looks in the store once more.
            setTimeout(() => resolve(true), 0);
          });
        },
      );
      // Refused (no lock for this page), or stolen from us later: no longer held either way.
      requested.catch((error: unknown) => {
        const mine = holding.get(name);
        if (mine?.holder === holder) mine.drop();
        reject(error);
      });
    });

  /** The context that holds `name` now, by the browser's own account. */
  const holderOf = async (name: string): Promise<string | undefined> => {
    const snapshot = v.safeParse(Snapshot, await locks.query?.());
    if (!snapshot.success) return undefined;
    return snapshot.output.held.find((lock) => lock.name === name)?.clientId;
  };

  /**
   * Takes the lock from `overdue`, the holder that ran out, under a second lock and only if it
   * still holds it: two tabs that both find it overdue must not both take it (the second would
   * take it from the first, and both would ask for a token).
   */
  const takeOver = async (
    name: string,
    holder: string,
    ms: number,
    overdue: string,
  ): Promise<boolean> => {
    const outcome = await locks.request(`${name}:takeover`, { ifAvailable: true }, async (lock) => {
      if (lock === null || (await holderOf(name)) !== overdue) return false;
      return take(name, holder, ms, true);
    });
    return outcome === true;
  };

  return {
    async acquire(key, holder, now, until) {
      const name = prefix + key;
      const ms = Math.max(0, until - now);
      const mine = holding.get(name);
      if (mine !== undefined) return mine.holder === holder;
      if (await take(name, holder, ms, false)) return true;
      const wall = Date.now();
      const known = others.get(name);
      const client = await holderOf(name).catch(() => undefined);
      if (known === undefined) {
        // Taken before this tab heard of it: no later than now, for no longer than our lease.
        others.set(name, { until: wall + ms, client });
        return false;
      }
      if (known.client === undefined) {
        // Who announced that lease: the holder as we find it now (not taken from it yet).
        known.client = client;
        return false;
      }
      // Overdue, and still the same holder: it no longer runs. Another holder now (one that
      // just took the lock over, say) has a lease of its own.
      if (wall < known.until + graceMs || client !== known.client) return false;
      return takeOver(name, holder, ms, known.client);
    },
    async release(key, holder) {
      const name = prefix + key;
      const mine = holding.get(name);
      if (mine?.holder === holder) mine.give();
    },
  };
}
