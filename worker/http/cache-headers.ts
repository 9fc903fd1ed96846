/**
 * How the broker's answers may be cached. Anything that carries a token or a failure is
 * `no-store` (RFC 6749 §5.1); what the broker says about itself is public for a minute.
 */

/** Headers every token response and every error carries (RFC 6749 §5.1). */
export const NO_STORE = { "Cache-Control": "no-store", Pragma: "no-cache" };

/** Keys rotate at most every minute in development; caches must not outlive a new key long. */
export const PUBLIC_CACHE = {
  "Cache-Control": "public, max-age=60",
  "Access-Control-Allow-Origin": "*",
};
