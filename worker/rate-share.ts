/**
 * An isolate's share of a client's budget: permits the rate limiter's Durable Object has granted
 * in advance, spent here without a round trip. Every permit is charged to the object before it is
 * spent — nothing is settled afterwards — so the fleet never admits more than the object grants;
 * what a share changes is when a permit is spent, not how many there are.
 *
 * - A share holds at most {@link shareOf} permits: no more than the budget regains in
 *   {@link SHARE_LAPSE_MS}, 1/16 of the budget, and {@link MAX_SHARE}. Small budgets (under 32
 *   requests, or under two a second) have a share of 1: every request asks the object, as before.
 * - How many an isolate asks for follows its own demand: the first request asks for one, later
 *   asks for what this isolate spent per {@link SHARE_LAPSE_MS} since its last ask. A top-up goes
 *   out in the background once half the share is spent, so a busy isolate rarely waits.
 * - What is left unspent {@link SHARE_LAPSE_MS} after the last grant lapses: it is never given
 *   back (a refund could credit permits the bucket had already regained), so it is budget lost.
 *
 * So, with N isolates serving a client: in any window it is admitted at most what the object
 * grants in that window plus N × share (what the isolates held when the window opened), and it
 * may be refused while up to N × share permits sit unspent in other isolates, for at most
 * {@link SHARE_LAPSE_MS}. `test/broker/rate-shares.test.ts` holds the broker to both.
 */
import type { RateLimit } from "./rate-limit.ts";

/** Permits in hand lapse this long after their last grant. */
export const SHARE_LAPSE_MS = 1_000;
/** The most permits an isolate holds of one budget. */
export const MAX_SHARE = 64;

/**
 * How many permits of `limit` an isolate may hold: what the budget regains in
 * {@link SHARE_LAPSE_MS}, at most 1/16 of it and {@link MAX_SHARE}; at least 1.
 *
 * @example
 * shareOf({ requests: 300, windowSeconds: 60 }); // 5
 */
export function shareOf(limit: RateLimit): number {
  const regained = Math.floor((limit.requests * SHARE_LAPSE_MS) / (limit.windowSeconds * 1000));
  return Math.max(1, Math.min(MAX_SHARE, Math.floor(limit.requests / 16), regained));
}

/** One budget's permits in this isolate, and what it has spent lately. */
export interface Share {
  /** Permits in hand. */
  left: number;
  /** When they lapse (epoch ms). */
  expires: number;
  /** What the last ask asked for. */
  size: number;
  /** Spent since `since`, when the last ask went out: this isolate's recent demand. */
  spent: number;
  since: number;
  /** A top-up is on its way. */
  topping: boolean;
  /** Requests waiting on an ask of their own. */
  asking: number;
}

export function newShare(): Share {
  return {
    left: 0,
    expires: 0,
    size: 1,
    spent: 0,
    since: Number.NEGATIVE_INFINITY,
    topping: false,
    asking: 0,
  };
}

/** Spends a permit in hand, unless there is none or it has lapsed (then it is given up). */
export function spendInHand(share: Share, now: number): boolean {
  if (now >= share.expires) share.left = 0;
  if (share.left === 0) return false;
  share.left--;
  share.spent++;
  return true;
}

/**
 * What an ask should want, this request included: the isolate's demand since its last ask, over
 * {@link SHARE_LAPSE_MS}, within [1, `cap`]. With no ask before, one.
 */
export function demand(share: Share, now: number, cap: number): number {
  const elapsed = Math.max(1, now - share.since);
  const wanted = Math.ceil(((share.spent + 1) * SHARE_LAPSE_MS) / elapsed);
  return Math.min(cap, Math.max(1, wanted));
}

/** Records that an ask for `size` went out at `now`: demand is counted afresh from here. */
export function asked(share: Share, size: number, now: number): void {
  share.size = size;
  share.since = now;
  share.spent = 0;
}

/** Whether a top-up should go out now: half the share is spent, and no ask is on its way. */
export function wantsTopUp(share: Share): boolean {
  return share.size > 1 && !share.topping && share.asking === 0 && share.left * 2 <= share.size;
}

/** Permits granted at `now` join those in hand, and everything in hand lapses from then. */
export function granted(share: Share, permits: number, now: number): void {
  if (permits <= 0) return;
  if (now >= share.expires) share.left = 0;
  share.left += permits;
  share.expires = now + SHARE_LAPSE_MS;
}
