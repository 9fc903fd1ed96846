/**
 * The broker's own JSON answers (tokens, errors, metadata, the index): `Response.json`'s body
 * and `Content-Type`, plus a final newline, so `curl` leaves the prompt on a line of its own. A
 * provider's answer relayed by the proxy is not one of these: it goes out byte for byte.
 */
export function jsonResponse(body: unknown, init: ResponseInit = {}): Response {
  const headers = new Headers(init.headers);
  if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  return new Response(`${JSON.stringify(body)}\n`, { ...init, headers });
}
