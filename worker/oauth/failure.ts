/**
 * Every way a broker request can fail, as a closed set of tags. Checks return one of these and
 * never build a response themselves: `wire-errors.ts` is the one place that turns a failure
 * into what goes on the wire. `detail` strings are written by the broker, never copied from
 * input, so they can be shown to the caller.
 */
export type Failure =
  /** RFC 6749 §5.2: a parameter is missing, repeated, malformed; the wrong content type. */
  | { kind: "invalid_request"; detail: string }
  /** RFC 6749 §5.2: unknown client, wrong secret, no or malformed credentials — all alike. */
  | { kind: "invalid_client" }
  /** RFC 6749 §5.2 / RFC 8693 §2.2.2: the subject token is not a live token of ours. */
  | { kind: "invalid_grant" }
  | { kind: "unsupported_grant_type" }
  /** RFC 6749 §5.2: nothing the client asked for is something it may have. */
  | { kind: "invalid_scope"; detail: string }
  /**
   * RFC 8707 §2: the `resource` is not an audience this client may have — or, in an exchange,
   * not the subject token's own audience, or one the exchanging client may not have.
   */
  | { kind: "invalid_target" }
  /** The client is known but its policy does not allow this endpoint. */
  | { kind: "unauthorized_client"; detail: string }
  /** RFC 6750 §3.1: no bearer token on a protected endpoint. */
  | { kind: "missing_token" }
  /** RFC 6750 §3.1: the bearer token is not a live token of ours for this audience. */
  | { kind: "invalid_token" }
  /** RFC 6750 §3.1: the token is live but lacks the scope this request needs. */
  | { kind: "insufficient_scope"; scope: string }
  /** A browser origin that is not on the client's allow-list. */
  | { kind: "origin_not_allowed" }
  | { kind: "rate_limited"; retryAfterSeconds: number }
  | { kind: "method_not_allowed"; allow: readonly string[] }
  | { kind: "not_found" }
  | { kind: "payload_too_large"; limitBytes: number }
  /** The broker's own configuration is invalid: `detail` names the field, never its value. */
  | { kind: "misconfigured"; detail: string }
  /** The scope's provider has no credentials (or no API base URL) configured. */
  | { kind: "provider_not_configured"; provider: string }
  /** The provider would not give a token; `retryAfterSeconds` when waiting can help. */
  | { kind: "provider_unavailable"; provider: string; retryAfterSeconds: number | undefined }
  /** The provider's API could not be reached through the proxy. */
  | { kind: "upstream_unreachable"; provider: string }
  /** The provider's API did not answer through the proxy within the deadline. */
  | { kind: "upstream_timeout"; provider: string }
  /** A bug: an exception no check anticipated. Logged by name only. */
  | { kind: "server_error" };

/**
 * A value, or the reason there is none: the one shape every check in the broker answers with.
 * The reason is a request's {@link Failure} unless the type says otherwise (a configuration
 * problem, why a token was rejected).
 */
export type Result<T, Reason = Failure> = { ok: true; value: T } | { ok: false; failure: Reason };

export function ok<T>(value: T): Result<T, never> {
  return { ok: true, value };
}

export function fail<T = never>(failure: Failure): Result<T> {
  return { ok: false, failure };
}

/** Tells a failure from a response in a handler's answer. */
export function isFailure(value: Response | Failure): value is Failure {
  return !(value instanceof Response);
}
