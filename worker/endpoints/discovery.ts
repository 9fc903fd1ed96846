/**
 * What the broker says about itself: RFC 8414 authorization server metadata, the RFC 7517 key
 * set, and a JSON index of every endpoint at `/`. All public, cacheable briefly, readable from
 * any origin (they carry no credentials).
 */
import type { Call } from "../context.ts";
import { GRANT_CLIENT_CREDENTIALS, GRANT_TOKEN_EXCHANGE } from "../oauth/grants.ts";
import { SCOPES } from "../oauth/scopes.ts";
import { PROXY_RULES } from "../upstream/proxy-rules.ts";

export const PATHS = {
  index: "/",
  metadata: "/.well-known/oauth-authorization-server",
  jwks: "/.well-known/jwks.json",
  token: "/oauth/token",
  revocation: "/oauth/revoke",
  introspection: "/oauth/introspect",
  providerToken: "/provider-token",
  proxy: "/proxy/",
  health: "/healthz",
  demoSession: "/demo/token",
} as const;

const AUTH_METHODS = ["client_secret_basic", "client_secret_post"];
/** Keys rotate at most every minute in development; caches must not outlive a new key long. */
const PUBLIC_CACHE = { "Cache-Control": "public, max-age=60", "Access-Control-Allow-Origin": "*" };

/** RFC 8414 §2, with two non-standard members for the broker's own endpoints. */
export function authorizationServerMetadata(issuer: string): Record<string, unknown> {
  return {
    issuer,
    token_endpoint: `${issuer}${PATHS.token}`,
    jwks_uri: `${issuer}${PATHS.jwks}`,
    revocation_endpoint: `${issuer}${PATHS.revocation}`,
    introspection_endpoint: `${issuer}${PATHS.introspection}`,
    grant_types_supported: [GRANT_CLIENT_CREDENTIALS, GRANT_TOKEN_EXCHANGE],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: AUTH_METHODS,
    revocation_endpoint_auth_methods_supported: AUTH_METHODS,
    introspection_endpoint_auth_methods_supported: AUTH_METHODS,
    scopes_supported: [...SCOPES],
    edgetoken_provider_token_endpoint: `${issuer}${PATHS.providerToken}`,
    edgetoken_proxy_endpoint: `${issuer}${PATHS.proxy}`,
  };
}

export async function metadataEndpoint(call: Call): Promise<Response> {
  return Response.json(authorizationServerMetadata(call.issuer), { headers: PUBLIC_CACHE });
}

export async function jwksEndpoint(call: Call): Promise<Response> {
  const keys = await call.state.keys.current(call.now);
  return Response.json(keys.jwks, {
    headers: { ...PUBLIC_CACHE, "Content-Type": "application/jwk-set+json" },
  });
}

export async function indexEndpoint(call: Call): Promise<Response> {
  const base = call.issuer;
  return Response.json(
    {
      name: "edgetoken broker",
      issuer: base,
      endpoints: {
        metadata: { method: "GET", url: `${base}${PATHS.metadata}`, spec: "RFC 8414" },
        jwks: { method: "GET", url: `${base}${PATHS.jwks}`, spec: "RFC 7517" },
        token: {
          method: "POST",
          url: `${base}${PATHS.token}`,
          spec: "RFC 6749 §4.4 client_credentials, RFC 8693 token exchange",
        },
        revocation: { method: "POST", url: `${base}${PATHS.revocation}`, spec: "RFC 7009" },
        introspection: { method: "POST", url: `${base}${PATHS.introspection}`, spec: "RFC 7662" },
        provider_token: { method: "POST", url: `${base}${PATHS.providerToken}` },
        health: { method: "GET", url: `${base}${PATHS.health}` },
        proxy: PROXY_RULES.map((rule) => ({
          methods: rule.methods,
          url: `${base}${PATHS.proxy}${rule.provider}`,
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
  return Response.json({ ok: true }, { headers: { "Cache-Control": "no-store" } });
}
