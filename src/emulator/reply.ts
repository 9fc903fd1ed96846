/**
 * A response before it becomes one: handlers return a `Reply`, and the emulator turns it into a
 * `Response` stamped with the provider's clock, so a fault can still swap or rewrite it.
 */
export type Reply =
  | { status: number; json: unknown; headers?: Record<string, string> }
  | { status: number; text: string; contentType: string; headers?: Record<string, string> };

/**
 * The `Response` for one of the emulator's own replies (its index, controls, 404 and 405), with
 * a `Date` header from `nowMs`. Its JSON ends with a newline, so curl leaves the prompt alone.
 */
export function toResponse(reply: Reply, nowMs: number): Response {
  return respond(reply, nowMs, "\n");
}

/**
 * The `Response` for a provider endpoint's reply, with a `Date` header from `nowMs` (the
 * provider's clock). Its JSON is exactly `JSON.stringify` of the body, as a provider's JSON
 * serializer sends it: no newline the real API is not documented to add.
 */
export function toProviderResponse(reply: Reply, nowMs: number): Response {
  return respond(reply, nowMs, "");
}

function respond(reply: Reply, nowMs: number, jsonEnd: string): Response {
  const headers = new Headers(reply.headers);
  headers.set("date", new Date(nowMs).toUTCString());
  headers.set("cache-control", "no-store");
  if ("json" in reply) {
    headers.set("content-type", "application/json");
    return new Response(JSON.stringify(reply.json) + jsonEnd, { status: reply.status, headers });
  }
  headers.set("content-type", reply.contentType);
  return new Response(reply.text, { status: reply.status, headers });
}

/** The emulator's own 404, for a path no provider has. */
export function notFound(path: string): Reply {
  return { status: 404, json: { error: "Not Found", path: path.slice(0, 200) } };
}

/** The emulator's own 405, naming the methods the path takes. */
export function methodNotAllowed(allowed: readonly string[]): Reply {
  return {
    status: 405,
    json: { error: "Method Not Allowed", allowed },
    headers: { allow: allowed.join(", ") },
  };
}
