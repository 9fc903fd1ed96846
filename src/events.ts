import type { EdgeTokenErrorCode } from "./errors.ts";

/**
 * What a token source reports as it works, for one's own logger and counters. Each event names
 * the provider, environment and scope it is about, and carries names and numbers only — never a
 * token, a refresh handle or a credential:
 * - `obtained`: a new token, `from` the provider (`refreshed` when by its refresh handle) or
 *   adopted `from` the store (another instance's);
 * - `refresh_failed`: a provider call failed; `serving` says whether a still-valid token goes
 *   on being served meanwhile; `retryInMs` is the backoff before the next try;
 * - `renewing`: an API refused the token (401): it is being renewed;
 * - `waited`: a caller waited `ms` for a token (memory hits are not reported) and got one
 *   (`outcome: "token"`) or an error (its code);
 * - `store_failed`: the store's `get`, `set` or `delete` threw, or took more than a quarter of
 *   `deadlineMs`; the source went on without it;
 * - `lease`: the source needed the provider and asked the lease (only with a `lease`), after
 *   `ms`: it `held` it and calls the provider; another instance's token reached the store while
 *   it waited, or just before it took the lease (`adopted`); the lease told of a token newer
 *   than the store showed (`stale_read`: KV lags), and the source serves its own on and looks
 *   again in a few seconds; the lease stayed busy past `leaseMs` (`timed_out`) or its service
 *   failed (`unavailable`), and the source went on without it: it serves its own token on while
 *   that has more than two floors (`minRemainingMs`) of life, and only then calls the provider
 *   (spending no rotating handle).
 *
 * @example
 * createTokenSource(provider, {
 *   onEvent: (event) => console.log(JSON.stringify({ at: "edgetoken", ...event })),
 * });
 */
export type TokenSourceEvent = { provider: string; environment: string; scope: string } & (
  | { type: "obtained"; from: "provider" | "store"; refreshed: boolean; expiresAt: number }
  | { type: "refresh_failed"; code: EdgeTokenErrorCode; serving: boolean; retryInMs: number }
  | { type: "renewing" }
  | { type: "waited"; ms: number; outcome: "token" | EdgeTokenErrorCode }
  | { type: "store_failed"; operation: "get" | "set" | "delete" }
  | { type: "lease"; outcome: LeaseOutcome; ms: number }
);

/** What came of asking the lease: see {@link TokenSourceEvent}. */
export type LeaseOutcome = "held" | "adopted" | "stale_read" | "timed_out" | "unavailable";

/** An event without the fields every event carries: what the emitting code fills in. */
export type EventBody = TokenSourceEvent extends infer E
  ? E extends TokenSourceEvent
    ? Omit<E, "provider" | "environment" | "scope">
    : never
  : never;
