/**
 * The broker's one route table: every path, the methods it answers, and its handler. The
 * discovery endpoints (`GET /`, RFC 8414 metadata) are told these paths, so what the broker
 * publishes about itself cannot drift from where it answers.
 */
import type { Handler } from "./context.ts";
import { countersEndpoint } from "./endpoints/counters.ts";
import { demoSessionEndpoint } from "./endpoints/demo-session.ts";
import {
  type BrokerPaths,
  healthEndpoint,
  indexEndpoint,
  jwksEndpoint,
  metadataEndpoint,
} from "./endpoints/discovery.ts";
import { introspectEndpoint } from "./endpoints/introspect.ts";
import { providerTokenEndpoint } from "./endpoints/provider-token.ts";
import { proxyEndpoint } from "./endpoints/proxy.ts";
import { revokeEndpoint } from "./endpoints/revoke.ts";
import { tokenEndpoint } from "./endpoints/token.ts";

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
  counters: "/counters",
} as const satisfies BrokerPaths & Record<string, string>;

export interface Route {
  path: string;
  /** Whether `path` is a prefix (the proxy) rather than the whole path. */
  prefix?: boolean;
  methods: readonly string[];
  handler: Handler;
}

const GET = ["GET", "HEAD"];
const POST = ["POST"];
/** The proxy checks methods per path itself (`upstream/proxy-rules.ts`). */
const ANY = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

const ROUTES: readonly Route[] = [
  { path: PATHS.index, methods: GET, handler: indexEndpoint(PATHS) },
  { path: PATHS.health, methods: GET, handler: healthEndpoint },
  { path: PATHS.metadata, methods: GET, handler: metadataEndpoint(PATHS) },
  { path: PATHS.jwks, methods: GET, handler: jwksEndpoint },
  { path: PATHS.token, methods: POST, handler: tokenEndpoint },
  { path: PATHS.revocation, methods: POST, handler: revokeEndpoint },
  { path: PATHS.introspection, methods: POST, handler: introspectEndpoint },
  { path: PATHS.providerToken, methods: POST, handler: providerTokenEndpoint },
  { path: PATHS.proxy, prefix: true, methods: ANY, handler: proxyEndpoint },
  { path: PATHS.demoSession, methods: POST, handler: demoSessionEndpoint },
  { path: PATHS.counters, methods: GET, handler: countersEndpoint },
];

/** The route for a path, if any. */
export function route(pathname: string): Route | undefined {
  return ROUTES.find((candidate) =>
    candidate.prefix === true ? pathname.startsWith(candidate.path) : pathname === candidate.path,
  );
}
