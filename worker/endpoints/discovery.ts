/**
 * What the broker says about itself: RFC 8414 authorization server metadata, the RFC 7517 key
 * set, and a JSON index of every endpoint at `/`. All public, cacheable briefly, readable from
 * any origin (they carry no credentials).
 */

import type { Call, Handler } from "../context.ts";
import { PUBLIC_CACHE } from "../http/cache-headers.ts";
import { jsonResponse } from "../http/json.ts";
import { GRANT_CLIENT_CREDENTIALS, GRANT_TOKEN_EXCHANGE } from "../oauth/grants.ts";
import { SCOPES } from "../oauth/scopes.ts";
import { PROXY_RULES } from "../upstream/proxy-rules.ts";

/** Where the broker's endpoints are: the route table's paths (`routes.ts`), told to this file. */
export interface BrokerPaths {
  index: string;
  metadata: string;
  jwks: string;
  token: string;
  revocation: string;
  introspection: string;
  providerToken: string;
  proxy: string;
  health: string;
}

const AUTH_METHODS = ["client_secret_basic", "client_secret_post"];

/** RFC 8414 §2, with two non-standard members for the broker's own endpoints. */
export function authorizationServerMetadata(
  issuer: string,
  paths: BrokerPaths,
): Record<string, unknown> {
  return {
    issuer,
    token_endpoint: `${issuer}${paths.token}`,
    jwks_uri: `${issuer}${paths.jwks}`,
    revocation_endpoint: `${issuer}${paths.revocation}`,
    introspection_endpoint: `${issuer}${paths.introspection}`,
    grant_types_supported: [GRANT_CLIENT_CREDENTIALS, GRANT_TOKEN_EXCHANGE],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: AUTH_METHODS,
    revocation_endpoint_auth_methods_supported: AUTH_METHODS,
    introspection_endpoint_auth_methods_supported: AUTH_METHODS,
    scopes_supported: [...SCOPES],
    edgetoken_provider_token_endpoint: `${issuer}${paths.providerToken}`,
    edgetoken_proxy_endpoint: `${issuer}${paths.proxy}`,
  };
}

export function metadataEndpoint(paths: BrokerPaths): Handler {
  return async (call) =>
    jsonResponse(authorizationServerMetadata(call.issuer, paths), { headers: PUBLIC_CACHE });
}

export async function jwksEndpoint(call: Call): Promise<Response> {
  const keys = await call.state.keys.current(call.now);
  return jsonResponse(keys.jwks, {
    headers: { ...PUBLIC_CACHE, "Content-Type": "application/jwk-set+json" },
  });
}

/** `GET /`: every endpoint with its method and URL, the proxy's paths, the scopes. */
export function indexEndpoint(paths: BrokerPaths): Handler {
  return async (call) => index(call.issuer, paths);
}

function index(base: string, paths: BrokerPaths): Response {
  return jsonResponse(
    {
      name: "edgetoken broker",
      issuer: base,
      endpoints: {
        metadata: { method: "GET", url: `${base}${paths.metadata}`, spec: "RFC 8414" },
        jwks: { method: "GET", url: `${base}${paths.jwks}`, spec: "RFC 7517" },
        token: {
          method: "POST",
          url: `${base}${paths.token}`,
          spec: "RFC 6749 §4.4 client_credentials, RFC 8693 token exchange",
        },
        revocation: { method: "POST", url: `${base}${paths.revocation}`, spec: "RFC 7009" },
        introspection: { method: "POST", url: `${base}${paths.introspection}`, spec: "RFC 7662" },
        provider_token: { method: "POST", url: `${base}${paths.providerToken}` },
        health: { method: "GET", url: `${base}${paths.health}` },
        proxy: PROXY_RULES.map((rule) => ({
          methods: rule.methods,
          url: `${base}${paths.proxy}${rule.provider}`,
          paths: rule.shown,
          scope: rule.scope,
        })),
      },
      scopes: SCOPES,
    },
    { headers: { "Cache-Control": "public, max-age=60" } },
  );
}

export async function healthEndpoint(): Promise<Response> {
  return jsonResponse({ ok: true }, { headers: { "Cache-Control": "no-store" } });
}
