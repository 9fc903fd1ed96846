/**
 * The one place a {@link Failure} becomes a response. OAuth endpoints answer RFC 6749 §5.2 JSON,
 * protected endpoints RFC 6750 §3 challenges; everything carries `Cache-Control: no-store`.
 * Descriptions say what to fix without telling an attacker which check failed: an unknown
 * client and a wrong secret are byte-for-byte the same answer, and so are every reason a token
 * is not accepted.
 */
import { jsonResponse } from "../http/json.ts";
import type { Failure } from "./failure.ts";

const REALM = 'realm="edgetoken"';

/** What goes on the wire for a failure. */
export interface WireError {
  status: number;
  body: { error: string; error_description: string; [extra: string]: unknown };
  headers: Record<string, string>;
}

export function wireError(failure: Failure): WireError {
  switch (failure.kind) {
    case "invalid_request":
      return wire(400, "invalid_request", failure.detail);
    case "invalid_client":
      return wire(401, "invalid_client", "Client authentication failed.", {
        "WWW-Authenticate": `Basic ${REALM}`,
      });
    case "invalid_grant":
      return wire(400, "invalid_grant", "The subject token is invalid, expired or revoked.");
    case "unsupported_grant_type":
      return wire(
        400,
        "unsupported_grant_type",
        "Supported grant types: client_credentials, urn:ietf:params:oauth:grant-type:token-exchange.",
      );
    case "invalid_scope":
      return wire(400, "invalid_scope", failure.detail);
    case "invalid_target":
      return wire(
        400,
        "invalid_target",
        "The resource is not an audience this client may have; an exchange keeps the subject token's audience.",
      );
    case "unauthorized_client":
      return wire(403, "unauthorized_client", failure.detail);
    case "missing_token":
      return wire(401, "invalid_request", "A bearer token is required.", {
        "WWW-Authenticate": `Bearer ${REALM}`,
      });
    case "invalid_token":
      return wire(401, "invalid_token", "The access token is invalid, expired or revoked.", {
        "WWW-Authenticate": `Bearer ${REALM}, error="invalid_token"`,
      });
    case "insufficient_scope":
      return wire(
        403,
        "insufficient_scope",
        `This request needs the scope ${failure.scope}.`,
        {
          "WWW-Authenticate": `Bearer ${REALM}, error="insufficient_scope", scope="${failure.scope}"`,
        },
        { scope: failure.scope },
      );
    case "origin_not_allowed":
      return wire(403, "origin_not_allowed", "This origin is not allowed for this client.");
    case "rate_limited":
      return wire(
        429,
        "rate_limited",
        `Too many requests (this client, or failed attempts from this source); retry in ${failure.retryAfterSeconds} s.`,
        { "Retry-After": String(failure.retryAfterSeconds) },
      );
    case "method_not_allowed":
      return wire(405, "method_not_allowed", `Allowed: ${failure.allow.join(", ")}.`, {
        Allow: failure.allow.join(", "),
      });
    case "not_found":
      return wire(404, "not_found", "No such endpoint; GET / lists them.");
    case "payload_too_large":
      return wire(413, "invalid_request", `The body is larger than ${failure.limitBytes} bytes.`);
    case "misconfigured":
      return wire(503, "server_error", `configuration: ${failure.detail}`);
    case "provider_not_configured":
      return wire(
        503,
        "temporarily_unavailable",
        `The broker has no ${failure.provider} credentials configured.`,
      );
    case "provider_unavailable":
      return wire(
        503,
        "temporarily_unavailable",
        `${failure.provider} did not issue a token; try again later.`,
        failure.retryAfterSeconds === undefined
          ? {}
          : { "Retry-After": String(failure.retryAfterSeconds) },
      );
    case "upstream_unreachable":
      return wire(502, "bad_gateway", `${failure.provider} could not be reached.`);
    case "upstream_timeout":
      return wire(504, "upstream_timeout", `${failure.provider} did not answer in time.`);
    case "server_error":
      return wire(500, "server_error", "An unexpected error occurred.");
    default:
      return unreachable(failure);
  }
}

/** The failure as a JSON response. */
export function errorResponse(failure: Failure): Response {
  const { status, body, headers } = wireError(failure);
  return jsonResponse(body, {
    status,
    headers: { "Cache-Control": "no-store", Pragma: "no-cache", ...headers },
  });
}

function wire(
  status: number,
  error: string,
  description: string,
  headers: Record<string, string> = {},
  extra: Record<string, unknown> = {},
): WireError {
  return { status, body: { error, error_description: description, ...extra }, headers };
}

function unreachable(value: never): never {
  throw new Error(`unmapped failure ${JSON.stringify(value)}`);
}
