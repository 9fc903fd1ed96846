/**
 * A value, or the reason there is none: the one shape every check in the broker answers with.
 * The reason is a request's {@link Failure} unless the type says otherwise (a configuration
 * problem, why a token was rejected).
 */
import type { Failure } from "./oauth/failure.ts";

export type Result<T, Reason = Failure> = { ok: true; value: T } | { ok: false; failure: Reason };

export function ok<T>(value: T): Result<T, never> {
  return { ok: true, value };
}

export function fail<T = never>(failure: Failure): Result<T> {
  return { ok: false, failure };
}
