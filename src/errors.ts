/**
 * What went wrong, as a closed set a caller can `switch` on.
 *
 * - `configuration`: an option is missing or invalid; fix the code or the config.
 * - `credentials`: the provider refused the key, secret or account.
 * - `scope`: the credentials are valid but may not have that scope.
 * - `refresh_rejected`: the provider refused a refresh; the source obtains anew.
 * - `rate_limited`: the provider answered 429; `retryAfterMs` says when to come back.
 * - `upstream_unavailable`: 5xx or a network failure after every retry.
 * - `timeout`: the provider did not answer in time.
 * - `invalid_response`: the answer did not have the documented shape.
 * - `response_too_large`: the answer was larger than the configured cap.
 * - `protocol`: the provider says our request was malformed (a bug on our side).
 * - `aborted`: the caller's `AbortSignal` fired.
 * - `request_failed`: `source.fetch` had a token, but the request itself did not get an answer
 *   (network error, connection reset): it may or may not have reached the API, so check before
 *   sending a payment again.
 */
export type EdgeTokenErrorCode =
  | "configuration"
  | "credentials"
  | "scope"
  | "refresh_rejected"
  | "rate_limited"
  | "upstream_unavailable"
  | "timeout"
  | "invalid_response"
  | "response_too_large"
  | "protocol"
  | "aborted"
  | "request_failed";

/** Details an {@link EdgeTokenError} can carry besides its code and message. */
export interface EdgeTokenErrorDetails {
  /** The provider's own error code, such as `AUTH_ERR_004`. */
  providerCode?: string | undefined;
  /** The HTTP status of the response that failed, when there was one. */
  status?: number | undefined;
  /** Whether trying again later can help. Defaults from the code. */
  retryable?: boolean | undefined;
  /** For `rate_limited`: how long the provider asked us to wait. */
  retryAfterMs?: number | undefined;
  /** The underlying failure. Never a value that holds a secret. */
  cause?: unknown;
}

const RETRYABLE_BY_DEFAULT: readonly EdgeTokenErrorCode[] = [
  "rate_limited",
  "upstream_unavailable",
  "timeout",
  "invalid_response",
  "response_too_large",
];

/**
 * The one error type edgetoken throws. Its message names what failed and what to do; it never
 * contains a credential or a token, and neither does its `JSON.stringify` form.
 *
 * @example
 * try {
 *   await source.get();
 * } catch (error) {
 *   if (isEdgeTokenError(error) && error.code === "credentials") alertOps(error.providerCode);
 *   throw error;
 * }
 */
export class EdgeTokenError extends Error {
  override readonly name: "EdgeTokenError" = "EdgeTokenError";
  readonly code: EdgeTokenErrorCode;
  readonly providerCode: string | undefined;
  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(code: EdgeTokenErrorCode, message: string, details: EdgeTokenErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.providerCode = details.providerCode;
    this.status = details.status;
    this.retryable = details.retryable ?? RETRYABLE_BY_DEFAULT.includes(code);
    this.retryAfterMs = details.retryAfterMs;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      providerCode: this.providerCode,
      status: this.status,
      retryable: this.retryable,
      retryAfterMs: this.retryAfterMs,
    };
  }
}

/**
 * True for an {@link EdgeTokenError}, also one from another copy of the library (a second
 * bundle, another realm), which `instanceof` would miss.
 *
 * @example
 * if (isEdgeTokenError(error, "rate_limited")) await sleep(error.retryAfterMs ?? 1000);
 */
export function isEdgeTokenError(
  value: unknown,
  code?: EdgeTokenErrorCode,
): value is EdgeTokenError {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as { name?: unknown; code?: unknown };
  if (candidate.name !== "EdgeTokenError" || typeof candidate.code !== "string") return false;
  return code === undefined || candidate.code === code;
}

/** Credential and configuration failures: retrying with the same input cannot help. */
export function isPermanent(error: EdgeTokenError): boolean {
  return ["configuration", "credentials", "scope", "protocol"].includes(error.code);
}
