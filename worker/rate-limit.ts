/**
 * Per-client rate limits in a Durable Object, one object per client id, so every isolate in
 * every colo counts against the same budget. The rule is GCRA (a token bucket without a timer):
 * a client may send `requests` at once and then one every `windowSeconds / requests`. The
 * broker passes its clock in, so tests move time instead of waiting.
 */
import { DurableObject } from "cloudflare:workers";
import { type ClientPolicy, DEFAULT_RATE_LIMIT } from "./oauth/client-policy.ts";
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

/** The Durable Object: a client's GCRA state, updated one request at a time. */
export class RateLimiter extends DurableObject {
  take(limit: RateLimit, now: number): RateDecision {
    const stored = this.ctx.storage.kv.get<number>(TAT);
    const { decision, tat } = gcra(stored, limit, now);
    this.ctx.storage.kv.put(TAT, tat);
    return decision;
  }
}

/** Who a limiter object counts for: a client, or {@link UNKNOWN_CLIENTS}. */
export type Limited = Pick<ClientPolicy, "id" | "rateLimit">;

/**
 * Where attempts with a client id that is not configured are counted: one shared object, under a
 * name no client id can have (ids have no spaces), so an unknown id costs the same limiter call as
 * a known one without creating an object per id an attacker makes up.
 */
export const UNKNOWN_CLIENTS: Limited = { id: "unknown client", rateLimit: DEFAULT_RATE_LIMIT };

/**
 * Counts one request of `client` at `now`: a `rate_limited` failure when over budget. When the
 * limiter cannot be reached the request goes through (and is logged): a rate limit protects
 * capacity, and an outage of it must not become an outage of the broker.
 */
export async function takeRateLimit(
  namespace: DurableObjectNamespace<RateLimiter>,
  client: Limited,
  now: number,
): Promise<Failure | undefined> {
  try {
    const stub = namespace.get(namespace.idFromName(client.id));
    const decision = await stub.take(client.rateLimit, now);
    return decision.allowed
      ? undefined
      : { kind: "rate_limited", retryAfterSeconds: decision.retryAfterSeconds };
  } catch (error) {
    console.error(
      JSON.stringify({
        event: "rate_limiter_unavailable",
        client_id: client.id,
        error: error instanceof Error ? error.name : typeof error,
      }),
    );
    return undefined;
  }
}

/** Counts a request of `client` against its rate limit: the client, or `rate_limited`. */
export async function countRequest<Client extends Limited>(
  at: { now: number; state: { limiter: DurableObjectNamespace<RateLimiter> } },
  client: Client,
): Promise<Result<Client>> {
  const limited = await takeRateLimit(at.state.limiter, client, at.now);
  return limited === undefined ? ok(client) : fail(limited);
}
