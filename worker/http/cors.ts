/**
 * CORS for the proxy, from an allow-list of origins per client. The broker never answers `*` and
 * never allows credentials (cookies): browsers send the broker token in `Authorization`. A
 * preflight carries no token, so it is checked against every client's origins together; the
 * request itself is checked against the origins of the client its token was issued to.
 */

/** Headers a page may send through the proxy. */
const ALLOWED_HEADERS =
  "authorization, content-type, accept, idempotency-key, x-idempotency-key, x-request-id";
/** Headers a page may read from a proxied answer. */
const EXPOSED_HEADERS = "retry-after, www-authenticate, x-request-id";
const MAX_AGE_SECONDS = "600";

export function isListed(
  origin: string,
  allowed: ReadonlySet<string> | readonly string[],
): boolean {
  return "has" in allowed ? allowed.has(origin) : allowed.includes(origin);
}

/** The headers that let `origin` read a response, when it is allowed; none otherwise. */
export function corsHeaders(
  origin: string | null,
  allowed: ReadonlySet<string> | readonly string[],
): Record<string, string> {
  if (origin === null || !isListed(origin, allowed)) return { Vary: "Origin" };
  return {
    "Access-Control-Allow-Origin": origin,
    "Access-Control-Expose-Headers": EXPOSED_HEADERS,
    Vary: "Origin",
  };
}

/** A preflight's answer headers for a path that takes `methods`. */
export function preflightHeaders(
  origin: string,
  methods: readonly string[],
): Record<string, string> {
  return {
    "Access-Control-Allow-Origin": origin,
    "Access-Control-Allow-Methods": methods.join(", "),
    "Access-Control-Allow-Headers": ALLOWED_HEADERS,
    "Access-Control-Max-Age": MAX_AGE_SECONDS,
    Vary: "Origin",
  };
}

/** Adds headers to a response, copying it when its headers are immutable. */
export function withHeaders(response: Response, headers: Record<string, string>): Response {
  const copy = new Response(response.body, response);
  for (const [name, value] of Object.entries(headers)) copy.headers.set(name, value);
  return copy;
}
