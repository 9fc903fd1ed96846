import { EdgeTokenError } from "../errors.ts";
import { jwtExpiry, tokenExpiry } from "../lifetime.ts";
import type { SentRequest } from "../request.ts";
import { Token } from "../token.ts";

/** What a token response said, besides the value. Times as in {@link tokenExpiry}. */
export interface IssuedTokenFields {
  value: string;
  expiresIn?: number | undefined;
  validUntil?: number | undefined;
  requestedLifetime?: number | undefined;
  scope?: string | undefined;
  refreshToken?: string | undefined;
  /** The seeded providers issue JWTs: a value without a readable `exp` is refused. */
  requireJwt?: boolean | undefined;
  /** When there is no expiry signal at all (an opaque OAuth token without expires_in). */
  fallbackLifetime?: number | undefined;
}

/**
 * Builds the {@link Token} a provider answered with: expiry from every signal, counted from when
 * the request was sent and corrected by the response's `Date`. A token that does not check out
 * is an `invalid_response` error: it is never cached or handed out.
 */
export function issuedToken(sent: SentRequest, fields: IssuedTokenFields, what: string): Token {
  const status = sent.response.status;
  if (fields.requireJwt && jwtExpiry(fields.value) === undefined) {
    throw new EdgeTokenError(
      "invalid_response",
      `${what} issued a token that is not a JWT with exp.`,
      {
        status,
      },
    );
  }
  const expiresAt =
    // The fields' expiresIn, validUntil and requestedLifetime are signals of the same names.
    tokenExpiry({
      ...fields,
      sentAt: sent.sentAt,
      receivedAt: sent.receivedAt,
      dateHeader: sent.response.headers.get("date"),
      jwt: fields.value,
    }) ??
    (fields.fallbackLifetime === undefined
      ? undefined
      : sent.sentAt + fields.fallbackLifetime * 1000);
  if (expiresAt === undefined) {
    throw new EdgeTokenError("invalid_response", `${what} did not say when the token expires.`, {
      status,
    });
  }
  return new Token({
    value: fields.value,
    obtainedAt: sent.sentAt,
    expiresAt,
    scope: fields.scope,
    refreshToken: fields.refreshToken,
  });
}
