/**
 * When to act next: the refresh point of a token, and the waits after failures. Pure functions
 * of what they are given — no clock, no `Math.random`: the caller passes the token, the options
 * and one random draw in [0, 1), so tests can steer every schedule.
 */
import type { Token } from "./token.ts";

/**
 * An exponential backoff: the first wait, doubled on each attempt, capped. The token source's
 * `backoff` and `RequestPolicy.backoff` both take this shape, with their own defaults.
 *
 * @example
 * createTokenSource(provider, { backoff: { baseMs: 500, maxMs: 30_000 } });
 * ipospays({ ...keys, requestPolicy: { backoff: { baseMs: 100, maxMs: 2_000 } } });
 */
export interface BackoffOptions {
  /** The first wait (attempt 0). */
  baseMs?: number | undefined;
  /** The most any wait may be. */
  maxMs?: number | undefined;
}

/** {@link BackoffOptions} with the defaults filled in. */
export interface Backoff {
  baseMs: number;
  maxMs: number;
}

/** What decides a token's refresh point: the token source's options of the same names. */
export interface RefreshOptions {
  /** The share of the lifetime left when the refresh is due. */
  refreshAhead: number;
  /** Up to this share of the lifetime is added to `refreshAhead`, at random. */
  refreshJitter: number;
  /** The floor: a token with this little life left is never served. */
  minRemainingMs: number;
}

/**
 * Until when a cached token is served without looking (epoch ms): `refreshAhead` plus a random
 * part of `refreshJitter` of its lifetime before expiry, so a fleet does not refresh in lockstep.
 */
export function refreshPoint(token: Token, options: RefreshOptions, random: number): number {
  const lifetime = token.lifetime;
  const floor = options.minRemainingMs;
  const ahead = options.refreshAhead + random * options.refreshJitter;
  const point = token.expiresAt - lifetime * ahead;
  // Leave at least one floor of slack for the refresh itself, but never refresh before
  // half the lifetime has passed (a token barely above the floor would refresh on every call).
  const planned = Math.max(
    token.obtainedAt + lifetime / 2,
    Math.min(point, token.expiresAt - 2 * floor),
  );
  // The cached path serves until this point without looking: never past the floor.
  return Math.min(planned, token.expiresAt - floor);
}

/**
 * A draw in [0, 1) taken from the token itself (its `obtainedAt`), for {@link refreshPoint} when
 * instances share a token under a lease: every instance holding that token then agrees on one
 * refresh point, so the fleet renews when one source alone would — not at the earliest of its
 * instances' own draws — while tokens obtained at other times still spread apart.
 */
export function tokenDraw(token: Token): number {
  return (Math.imul(token.obtainedAt | 0, 0x9e3779b1) >>> 0) / 4_294_967_296;
}

/**
 * How a backoff spreads its waits below the ceiling (`baseMs · 2^attempt`, at most `maxMs`):
 * - `full`: anywhere in [0, ceiling) — one caller's retries of one request (`sendRequest`);
 * - `half`: half fixed, half random — a fleet that failed together does not retry together,
 *   and none of it retries at once (the token source after a failed refresh).
 */
export type Jitter = "full" | "half";

/** The wait before retry `attempt` (0 for the first), in ms. */
export function backoffMs(
  attempt: number,
  backoff: Backoff,
  random: number,
  jitter: Jitter,
): number {
  const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** attempt);
  return jitter === "full" ? random * ceiling : ceiling / 2 + (random * ceiling) / 2;
}

/**
 * How long the token source leaves the provider alone after its `failures`-th transient failure
 * in a row: the half-jittered backoff, or the provider's `Retry-After` if longer (up to `maxMs`).
 */
export function failureWaitMs(
  failures: number,
  backoff: Backoff,
  random: number,
  retryAfterMs: number | undefined,
): number {
  return Math.max(
    Math.min(retryAfterMs ?? 0, backoff.maxMs),
    backoffMs(failures - 1, backoff, random, "half"),
  );
}
