import * as v from "valibot";

/**
 * What a provider's own error code may look like before it enters an error: a short token such
 * as `AUTH_ERR_004`. A provider that echoes the request back would otherwise put whatever it was
 * sent (a secret, in a body or a header) into the message, `providerCode`, the stack and the JSON
 * of our error, and from there into logs and audit lines.
 */
const ProviderCode = v.pipe(v.string(), v.regex(/^[\w.:-]{1,64}$/));

/**
 * An OAuth 2.0 `error` (RFC 6749 §5.2, §11.4): registered codes are lower-case words joined by
 * `_`. Stricter than {@link ProviderCode}, because a bare client secret echoed back would pass
 * for a short token; it cannot pass for `invalid_client`.
 */
const OAuthCode = v.pipe(v.string(), v.regex(/^[a-z]{1,32}(?:_[a-z]{1,32}){0,4}$/));

/** The provider's code when it has the shape of one; `undefined` (dropped) otherwise. */
export function providerCodeOf(value: unknown): string | undefined {
  return v.safeParse(ProviderCode, value).success ? (value as string) : undefined;
}

/** An OAuth `error` when it is a registered-style code; `undefined` (dropped) otherwise. */
export function oauthCodeOf(value: unknown): string | undefined {
  return v.safeParse(OAuthCode, value).success ? (value as string) : undefined;
}
