import * as v from "valibot";
import { fromBase64url } from "./internal/base64url.ts";

/** Every expiry signal a provider response can carry. Times are epoch milliseconds. */
export interface LifetimeSignals {
  /** When the request that obtained the token was sent, on the local clock. */
  sentAt: number;
  /** When its response arrived, on the local clock. Used with `dateHeader`. */
  receivedAt?: number | undefined;
  /** The response's `Date` header: the provider's clock at `receivedAt`. */
  dateHeader?: string | null | undefined;
  /** OAuth-style `expires_in`, in seconds, counted from `sentAt`. */
  expiresIn?: number | undefined;
  /** An absolute expiry on the provider's clock (Papaya's `valid_until`), in epoch ms. */
  validUntil?: number | undefined;
  /** The token itself; its `exp` claim counts when it is a JWT. */
  jwt?: string | undefined;
  /** The lifetime we asked for, in seconds, counted from `sentAt`. */
  requestedLifetime?: number | undefined;
}

/**
 * How far the provider's clock is ahead of ours, in milliseconds, from its `Date` header.
 * Zero when there is no usable header. `Date` has one-second resolution, so differences under
 * a second are noise and ignored.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-6.6.1
 */
export function clockSkew(dateHeader: string | null | undefined, receivedAt: number): number {
  if (!dateHeader) return 0;
  const providerNow = Date.parse(dateHeader);
  if (Number.isNaN(providerNow)) return 0;
  const skew = providerNow - receivedAt;
  return Math.abs(skew) < 1000 ? 0 : skew;
}

/** The claim a JWT's payload is read for: the rest of it is no concern of ours. */
const Claims = v.object({ exp: v.optional(v.pipe(v.number(), v.check<number>(Number.isFinite))) });

/**
 * The JWT `exp` claim in epoch milliseconds, or undefined when the value is not a JWT (three
 * parts, a base64url payload of UTF-8 JSON) with a finite numeric `exp`. The signature is not
 * checked: the provider is the issuer and the audience is not us.
 */
export function jwtExpiry(value: string): number | undefined {
  const parts = value.split(".");
  const payload = parts.length === 3 ? fromBase64url(parts[1] ?? "") : undefined;
  if (!payload?.length) return undefined;
  try {
    const claims = v.safeParse(
      Claims,
      // `ignoreBOM: false` is the default, but the Workers types require the field.
      JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(payload)),
    );
    const exp = claims.success ? claims.output.exp : undefined;
    return exp === undefined ? undefined : exp * 1000;
  } catch {
    return undefined;
  }
}

/**
 * The moment a token stops being valid on the local clock: the earliest of every signal.
 * Relative signals count from when the request was sent (the provider started its clock no
 * earlier than that); absolute ones are moved by the provider's clock skew. Returns undefined
 * when there is no signal at all.
 *
 * @example
 * const expiresAt = tokenExpiry({ sentAt, receivedAt, dateHeader: res.headers.get("date"),
 *   expiresIn: body.expires_in, jwt: body.access_token });
 */
export function tokenExpiry(signals: LifetimeSignals): number | undefined {
  const { sentAt, expiresIn, requestedLifetime, validUntil, jwt } = signals;
  const skew = clockSkew(signals.dateHeader, signals.receivedAt ?? sentAt);
  const exp = jwt === undefined ? undefined : jwtExpiry(jwt);
  const earliest = Math.min(
    expiresIn === undefined ? Infinity : sentAt + expiresIn * 1000,
    requestedLifetime === undefined ? Infinity : sentAt + requestedLifetime * 1000,
    validUntil === undefined ? Infinity : validUntil - skew,
    exp === undefined ? Infinity : exp - skew,
  );
  return Number.isFinite(earliest) ? earliest : undefined;
}
