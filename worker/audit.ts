import type { TokenSourceEvent, WaitUntil } from "../src/index.ts";
import { createLineWriter } from "./audit-lines.ts";
import { count } from "./counters.ts";

/**
 * One structured line per issuance, exchange, revocation and provider token, on `console.log`
 * (Workers Logs, `wrangler tail`, Logpush). It names the client, scope, audience, `jti` and
 * expiry — never a token, a secret or a provider credential: the fields are a closed list.
 */
export interface AuditEvent {
  event: "token_issued" | "token_exchanged" | "token_revoked" | "provider_token";
  client_id: string;
  scope: string;
  aud?: string | undefined;
  jti?: string | undefined;
  /** Seconds since the epoch, as in the token. */
  exp?: number | undefined;
  /** For an exchange: the subject token's `jti`. */
  subject_jti?: string | undefined;
  /** For an exchange: the subject token's `sub`. */
  sub?: string | undefined;
  /** For a provider token: what the caller's "the provider refused it" led to. */
  complaint?: "renewed" | "already_renewed" | "cooldown" | undefined;
}

/** This isolate's audit lines: at once when quiet, grouped under load (`audit-lines.ts`). */
const lines = createLineWriter();

/**
 * Writes the line; `now` is the broker's clock, printed as `at`. With the request's `ctx` the
 * line may wait (at most 100 ms, held by `ctx.waitUntil`) to go out with others.
 */
export function audit(event: AuditEvent, now: number, ctx?: WaitUntil): void {
  count(
    event.event,
    { client: event.client_id, scope: event.scope, complaint: event.complaint },
    now,
  );
  const line = {
    event: event.event,
    client_id: event.client_id,
    scope: event.scope,
    aud: event.aud,
    jti: event.jti,
    exp: event.exp,
    sub: event.sub,
    subject_jti: event.subject_jti,
    complaint: event.complaint,
    at: new Date(now).toISOString(),
  };
  lines.write(JSON.stringify(line), ctx);
}

/**
 * A refused request, on `console.warn`, so an attack shows in the log: a failed client
 * authentication, a token that did not verify, a budget spent. Never the secret or the token —
 * the fields are a closed list, and `client_id` is only ever a configured client's id (a
 * presented id that names no client may be a secret pasted into the wrong field).
 */
export interface RefusalEvent {
  event: "auth_failed" | "token_refused" | "rate_limited";
  /** The path that was asked for. */
  path?: string | undefined;
  /** For `rate_limited`: the budget that is spent — a client id, or `failures from <address>`. */
  limiter?: string | undefined;
  /** `CF-Connecting-IP`, when there is one. */
  source?: string | undefined;
  client_id?: string | undefined;
  /** For `token_refused`: malformed, signature, claims, expired, revoked. */
  reason?: string | undefined;
  retry_after?: number | undefined;
  /**
   * For `rate_limited`: the 429s of this budget since its previous line that had no line of
   * their own (`rate-limit-log.ts`: one line per budget per minute).
   */
  suppressed?: number | undefined;
}

/** Counts a refusal and writes its line; `now` is the broker's clock, printed as `at`. */
export function refusal(event: RefusalEvent, now: number): void {
  count(event.event, { client: event.client_id, reason: event.reason }, now);
  refusalLine(event, now);
}

/** Writes a refusal line without counting it (`rate-limit-log.ts` counts every 429 itself). */
export function refusalLine(event: RefusalEvent, now: number): void {
  const line = {
    event: event.event,
    path: event.path,
    limiter: event.limiter,
    source: event.source,
    client_id: event.client_id,
    reason: event.reason,
    retry_after: event.retry_after,
    suppressed: event.suppressed,
    at: new Date(now).toISOString(),
  };
  console.warn(JSON.stringify(line));
}

/**
 * What a provider token source did, from its own events (`TokenSourceEvent`): a line for what an
 * operator needs to see — a token obtained from the provider, a refresh that failed, a renewal
 * after a refusal, a store or lease that failed — and a count for every event, `waited`
 * included. Names and numbers only: the library's events carry no token or secret.
 */
export function providerEvent(event: TokenSourceEvent, now: number): void {
  const outcome =
    event.type === "lease"
      ? event.outcome
      : event.type === "obtained"
        ? event.from
        : event.type === "waited"
          ? event.outcome
          : event.type === "refresh_failed"
            ? event.code
            : event.type === "store_failed"
              ? event.operation
              : undefined;
  count(`provider.${event.type}`, { provider: event.provider, scope: event.scope, outcome }, now);
  const quiet =
    event.type === "waited" ||
    (event.type === "obtained" && event.from === "store") ||
    (event.type === "lease" && (event.outcome === "held" || event.outcome === "adopted"));
  if (quiet) return;
  const { type, provider, environment, scope, ...details } = event;
  const line = JSON.stringify({
    event: `provider_${type}`,
    provider,
    environment,
    scope,
    ...details,
    at: new Date(now).toISOString(),
  });
  if (type === "refresh_failed" || type === "store_failed" || type === "lease") {
    console.warn(line);
  } else {
    console.log(line);
  }
}
