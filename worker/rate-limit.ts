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
 *   would let anyone lock a client out.
 * - **Failed attempts per source** (`CF-Connecting-IP`): a wrong secret, an unknown client id,
 *   malformed credentials, a bearer or subject token that does not verify. Every failure, whatever
 *   id it named, spends the same budget of its source — so a known id and an unknown one get the
 *   same answers in the same order (401, then 429 once the source has failed too often), and
 *   nothing can be learnt by counting. A source over its failure budget is refused before any
 *   secret is compared or signature checked, so guesses and forged tokens cost the broker a
 *   bounded amount of work per source. A right secret from another source is never affected;
 *   a client that shares its address with an attacker waits like the attacker (documented).
 *
 * A refusal is remembered in the isolate until it runs out, so a refused caller costs no
 * limiter call and writes no further line. Without `CF-Connecting-IP` (only outside Cloudflare:
 * `wrangler dev`, tests) failures share one source.
 */
import { DurableObject } from "cloudflare:workers";
import { refusal } from "./audit.ts";
import type { ClientPolicy } from "./oauth/client-policy.ts";
import { type Failure, fail, ok, type Result } from "./oauth/failure.ts";

export interface RateLimit {
  requests: number;
  windowSeconds: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * One GCRA step. `tat` is the theoretical arrival time of the next request (epoch ms); the
 * request is allowed when it is at most one window minus one interval ahead of `now`.
 */
export function gcra(
  tat: number | undefined,
  limit: RateLimit,
  now: number,
): { decision: RateDecision; tat: number } {
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
      decision: { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)) },
      tat: start,
    };
  }
  return { decision: { allowed: true }, tat: start + interval };
}

const TAT = "tat";

/** The Durable Object: one budget's GCRA state, updated one request at a time. */
export class RateLimiter extends DurableObject {
  take(limit: RateLimit, now: number): RateDecision {
    const stored = this.ctx.storage.kv.get<number>(TAT);
    const { decision, tat } = gcra(stored, limit, now);
    this.ctx.storage.kv.put(TAT, tat);
    return decision;
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

/** Refusals remembered per isolate, at most this many (the oldest goes first). */
const REMEMBERED = 4096;

/** The budgets of one isolate: the limiter objects, and the refusals still running. */
export interface Limits {
  /** Spends one request of `name`'s budget: `rate_limited` when it is spent. */
  take(name: string, limit: RateLimit, now: number): Promise<Failure | undefined>;
  /** Whether `name` was refused and is still waiting: `rate_limited`, without a limiter call. */
  refused(name: string, now: number): Failure | undefined;
}

export function createLimits(namespace: DurableObjectNamespace<RateLimiter>): Limits {
  const until = new Map<string, number>();
  const refused = (name: string, now: number): Failure | undefined => {
    const end = until.get(name);
    if (end === undefined) return undefined;
    if (now >= end) {
      until.delete(name);
      return undefined;
    }
    return { kind: "rate_limited", retryAfterSeconds: Math.max(1, Math.ceil((end - now) / 1000)) };
  };
  return {
    refused,
    async take(name, limit, now) {
      const known = refused(name, now);
      if (known !== undefined) return known;
      let decision: RateDecision;
      try {
        decision = await namespace.get(namespace.idFromName(name)).take(limit, now);
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
      if (decision.allowed) return undefined;
      until.set(name, now + decision.retryAfterSeconds * 1000);
      if (until.size > REMEMBERED) until.delete(until.keys().next().value ?? name);
      refusal(
        { event: "rate_limited", limiter: name, retry_after: decision.retryAfterSeconds },
        now,
      );
      return { kind: "rate_limited", retryAfterSeconds: decision.retryAfterSeconds };
    },
  };
}

/** Who a client budget counts for. */
export type Limited = Pick<ClientPolicy, "id" | "rateLimit">;

/** Counts a request of a client that proved who it is: the client, or `rate_limited`. */
export async function countRequest<Client extends Limited>(
  at: { now: number; state: { limits: Limits } },
  client: Client,
): Promise<Result<Client>> {
  const limited = await at.state.limits.take(client.id, client.rateLimit, at.now);
  return limited === undefined ? ok(client) : fail(limited);
}
