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
}

/** Writes the line; `now` is the broker's clock, printed as `at`. */
export function audit(event: AuditEvent, now: number): void {
  const line = {
    event: event.event,
    client_id: event.client_id,
    scope: event.scope,
    aud: event.aud,
    jti: event.jti,
    exp: event.exp,
    sub: event.sub,
    subject_jti: event.subject_jti,
    at: new Date(now).toISOString(),
  };
  console.log(JSON.stringify(line));
}
