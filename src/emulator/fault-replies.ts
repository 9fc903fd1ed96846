import type { Endpoint } from "./endpoint.ts";
import type { Fault } from "./faults.ts";
import type { Reply } from "./reply.ts";

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  408: "Request Timeout",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** What a gateway or captive portal in front of a provider sends: HTML under HTTP 200. */
const HTML_PAGE =
  "<!DOCTYPE html><html><head><title>Maintenance</title></head>" +
  "<body><h1>We'll be back soon</h1><p>The service is temporarily unavailable.</p></body></html>";

/** The answer a response-replacing fault gives in place of the endpoint's own. */
export function faultReply(
  endpoint: Endpoint,
  fault: Extract<Fault, { kind: "status" | "rate_limit" | "malformed" | "non_json" }>,
  nowMs: number,
): Reply {
  switch (fault.kind) {
    case "status":
      return {
        status: fault.status,
        text: STATUS_TEXT[fault.status] ?? `Error ${fault.status}`,
        contentType: "text/plain; charset=utf-8",
      };
    case "rate_limit":
      return {
        ...endpoint.throttled,
        status: 429,
        headers: { ...endpoint.throttled.headers, "retry-after": String(fault.retryAfter) },
      };
    case "malformed":
      return endpoint.malformed(nowMs);
    case "non_json":
      return { status: 200, text: HTML_PAGE, contentType: "text/html; charset=utf-8" };
  }
}
