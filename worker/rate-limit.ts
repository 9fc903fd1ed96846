/**
 * Rate limits in a Durable Object, one object per name, so every isolate in every colo counts
 * against the same budget. The rule is GCRA (a token bucket without a timer): `requests` at once,
 * then one every `windowSeconds / requests`. The broker passes its clock in, so tests move time.
 *
 * Two budgets, kept apart so that nobody can spend someone else's (issue 10):
 *
 * - **A client's own budget** (`rateLimit` in its policy) is spent only by requests that proved
 *   they are that client: its secret verified, or a live token of its own verified. Client ids
 *   are public (every token carries `client_id`), so a budget that wrong secrets could spend
 *   would let anyone lock a client out. It is spent from the isolate's share (`rate-share.ts`):
 *   permits the object granted in advance, so a busy client costs one object call per share, not
 *   one per request.
 * - **Failed attempts per source** (`CF-Connecting-IP`): a wrong secret, an unknown client id,
 *   malformed credentials, a bearer or subject token that does not verify. Every failure, whatever
 *   id it named, spends the same budget of its source — so a known id and an unknown one get the
 *   same answers in the same order (401, then 429 once the source has failed too often), and
 *   nothing can be learnt by counting. A source over its failure budget is refused before any
 *   secret is compared or signature checked, so guesses and forged tokens cost the broker a
 *   bounded amount of work per source. A right secret from another source is never affected;
 *   a client that shares its address with an attacker waits like the attacker (documented).
 *   Failures are counted one by one at the object, never from a share: they are rare, and the
 *   budget's exactness is what it is for.
 *
 * A refusal is remembered in the isolate until it runs out, so a refused caller costs no
 * limiter call. Every 429 is counted; its `rate_limited` line is written once per budget per
 * minute, the next one saying how many were not (`rate-limit-log.ts`). Without
 * `CF-Connecting-IP` (only outside Cloudflare: `wrangler dev`, tests) failures share one source.
 */
import { DurableObject } from "cloudflare:workers";
import type { ClientPolicy } from "./oauth/client-policy.ts";
import { type Failure, fail, ok, type Result } from "./oauth/failure.ts";
import { createRateLimitLog } from "./rate-limit-log.ts";
import {
  asked,
  demand,
  granted,
  newShare,
  type Share,
  shareOf,
  spendInHand,
  wantsTopUp,
} from "./rate-share.ts";

export interface RateLimit {
  requests: number;
  windowSeconds: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** What the object answers: how many of the requests asked for are allowed now, or the wait. */
export type RateGrant =
  | { allowed: true; granted: number }
  | { allowed: false; retryAfterSeconds: number };

/**
 * GCRA for up to `wanted` requests at once. `tat` is the theoretical arrival time of the next
 * request (epoch ms); a request is allowed when it is at most one window minus one interval
 * ahead of `now`, and each one allowed moves it on by one interval.
 */
export function gcraGrant(
  tat: number | undefined,
  limit: RateLimit,
  now: number,
  wanted: number,
): { grant: RateGrant; tat: number } {
  const window = limit.windowSeconds * 1000;
  const interval = window / limit.requests;
  const burst = window - interval;
  // A stored time more than a window ahead cannot come from this rule (it never sets one): it
  // is a clock that jumped, or a limit that was lowered. Start afresh rather than lock out.
  const known = tat !== undefined && tat <= now + window ? tat : now;
  const start = Math.max(known, now);
  if (start - now > burst) {
    const wait = start - burst - now;
    return {
      grant: { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)) },
      tat: start,
    };
  }
  // How many fit before the burst is used up (the first one always does, checked above).
  const room = Math.floor((burst - (start - now)) / interval) + 1;
  const count = Math.max(1, Math.min(Math.floor(wanted), room));
  return { grant: { allowed: true, granted: count }, tat: start + count * interval };
}

/** One GCRA step: {@link gcraGrant} for a single request. */
export function gcra(
  tat: number | undefined,
  limit: RateLimit,
  now: number,
): { decision: RateDecision; tat: number } {
  const { grant, tat: next } = gcraGrant(tat, limit, now, 1);
  return { decision: grant.allowed ? { allowed: true } : grant, tat: next };
}

const TAT = "tat";

/**
 * The Durable Object: one budget's GCRA state. `take` grants up to `wanted` requests at once (an
 * isolate's share); an isolate that does not say (or an older one, during a deploy) gets one.
 */
export class RateLimiter extends DurableObject {
  take(limit: RateLimit, now: number, wanted = 1): RateGrant {
    const stored = this.ctx.storage.kv.get<number>(TAT);
    const { grant, tat } = gcraGrant(stored, limit, now, wanted);
    this.ctx.storage.kv.put(TAT, tat);
    return grant;
  }
}

/**
 * Failed attempts a source may make: 20 at once, then one every 3 s. Plenty for a person who
 * mistyped a secret or a service whose token just expired; nothing for a guesser.
 */
export const FAILED_ATTEMPTS: RateLimit = { requests: 20, windowSeconds: 60 };

/** The limiter name of a source's failed attempts: no client id can take it (ids have no spaces). */
export function failuresFrom(address: string | undefined): string {
  return `failures from ${address ?? "an unknown address"}`;
}

/** Refusals and shares remembered per isolate, at most this many each (the oldest goes first). */
const REMEMBERED = 4096;

/** The budgets of one isolate: the limiter objects, its shares, and the refusals still running. */
export interface Limits {
  /**
   * Spends one request of `name`'s budget at its object, every time: `rate_limited` when it is
   * spent. For the failure budgets of sources, whose every request is counted where it happens.
   */
  take(name: string, limit: RateLimit, now: number): Promise<Failure | undefined>;
  /**
   * Spends one request of a client's budget from this isolate's share (`rate-share.ts`), asking
   * the object only when the share is empty; top-ups run in the background, in `ctx.waitUntil`.
   */
  spend(
    name: string,
    limit: RateLimit,
    now: number,
    ctx: ExecutionContext,
  ): Promise<Failure | undefined>;
  /**
   * Whether `name` was refused and is still waiting: `rate_limited`, without a limiter call.
   * Asked only where the answer is then the request's (it counts as a 429).
   */
  refused(name: string, now: number): Failure | undefined;
  /** Writes the `rate_limited` summaries whose minute is over (the cron). */
  settleLog(now: number): void;
}

function remember<V>(map: Map<string, V>, name: string, value: V): void {
  map.set(name, value);
  if (map.size > REMEMBERED) map.delete(map.keys().next().value ?? name);
}

export function createLimits(namespace: DurableObjectNamespace<RateLimiter>): Limits {
  const until = new Map<string, number>();
  const shares = new Map<string, Share>();
  const log = createRateLimitLog();
  const refused = (name: string, now: number): Failure | undefined => {
    const end = until.get(name);
    if (end === undefined) return undefined;
    if (now >= end) {
      until.delete(name);
      return undefined;
    }
    const retryAfterSeconds = Math.max(1, Math.ceil((end - now) / 1000));
    log.refused(name, retryAfterSeconds, now);
    return { kind: "rate_limited", retryAfterSeconds };
  };
  /** The object's answer, or `undefined` when it could not be asked. */
  const ask = async (
    name: string,
    limit: RateLimit,
    now: number,
    wanted: number,
  ): Promise<RateGrant | undefined> => {
    try {
      const answer = await namespace.get(namespace.idFromName(name)).take(limit, now, wanted);
      // An object of the previous version answers `{ allowed: true }` for one request.
      return answer.allowed ? { allowed: true, granted: answer.granted ?? 1 } : answer;
    } catch (error) {
      // A rate limit protects capacity: an outage of it must not become one of the broker.
      console.error(
        JSON.stringify({
          event: "rate_limiter_unavailable",
          limiter: name,
          error: error instanceof Error ? error.name : typeof error,
        }),
      );
      return undefined;
    }
  };
  const refuse = (name: string, now: number, retryAfterSeconds: number): Failure => {
    remember(until, name, now + retryAfterSeconds * 1000);
    log.refused(name, retryAfterSeconds, now);
    return { kind: "rate_limited", retryAfterSeconds };
  };
  const topUp = (
    share: Share,
    name: string,
    limit: RateLimit,
    now: number,
    ctx: ExecutionContext,
  ): void => {
    const wanted = demand(share, now, shareOf(limit)) - share.left;
    if (wanted <= 0) return;
    share.topping = true;
    asked(share, wanted + share.left, now);
    ctx.waitUntil(
      ask(name, limit, now, wanted)
        .then((answer) => {
          // A refused top-up refuses nobody: the requests that find the share empty ask again.
          if (answer?.allowed === true) granted(share, answer.granted, now);
        })
        .finally(() => {
          share.topping = false;
        }),
    );
  };
  return {
    refused,
    settleLog: (now) => log.settle(now),
    async take(name, limit, now) {
      const known = refused(name, now);
      if (known !== undefined) return known;
      const answer = await ask(name, limit, now, 1);
      if (answer === undefined || answer.allowed) return undefined;
      return refuse(name, now, answer.retryAfterSeconds);
    },
    async spend(name, limit, now, ctx) {
      const known = refused(name, now);
      if (known !== undefined) return known;
      let share = shares.get(name);
      if (share === undefined) {
        share = newShare();
        remember(shares, name, share);
      }
      if (spendInHand(share, now)) {
        if (wantsTopUp(share)) topUp(share, name, limit, now, ctx);
        return undefined;
      }
      // The share is empty. One ask at a time fills it; a request that finds one on its way
      // asks for itself alone, so an isolate never holds more than its share.
      const alone = !share.topping && share.asking === 0;
      const wanted = alone ? demand(share, now, shareOf(limit)) : 1;
      if (alone) asked(share, wanted, now);
      share.asking++;
      let answer: RateGrant | undefined;
      try {
        answer = await ask(name, limit, now, wanted);
      } finally {
        share.asking--;
      }
      if (answer === undefined) return undefined;
      if (!answer.allowed) return refuse(name, now, answer.retryAfterSeconds);
      share.spent++;
      granted(share, answer.granted - 1, now);
      return undefined;
    },
  };
}

/** Who a client budget counts for. */
export type Limited = Pick<ClientPolicy, "id" | "rateLimit">;

/** Counts a request of a client that proved who it is: the client, or `rate_limited`. */
export async function countRequest<Client extends Limited>(
  at: { now: number; state: { limits: Limits }; ctx: ExecutionContext },
  client: Client,
): Promise<Result<Client>> {
  const limited = await at.state.limits.spend(client.id, client.rateLimit, at.now, at.ctx);
  return limited === undefined ? ok(client) : fail(limited);
}
