/**
 * Which provider paths the proxy opens, and to which scope: only what that scope needs. A path is
 * matched segment by segment against plain characters, so encoded slashes, dots and backslashes
 * (`%2F`, `%2e%2e`, `%5C`) never match and never reach a provider.
 */
import type { BrokerScope, ProviderName } from "../oauth/scopes.ts";

export interface ProxyRule {
  provider: ProviderName;
  scope: BrokerScope;
  methods: readonly string[];
  path: RegExp;
  /** The paths, as people write them. */
  shown: string;
}

/** A path segment: no dot first (so no `.` or `..`), no `%`, no `/`. */
const SEGMENT = "[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,127}";

export const PROXY_RULES: readonly ProxyRule[] = [
  {
    provider: "ipospays",
    scope: "ipospays:PaymentTokenization",
    methods: ["POST"],
    path: /^\/api\/v3\/iposTransact$/,
    shown: "/api/v3/iposTransact",
  },
  {
    provider: "paymentsgate",
    scope: "paymentsgate:payments",
    methods: ["GET", "POST"],
    path: new RegExp(`^/deals(/${SEGMENT})+$`),
    shown: "/deals/*",
  },
  {
    provider: "papaya",
    scope: "papaya:payments",
    methods: ["GET", "POST"],
    path: new RegExp(`^/v1/payments(/${SEGMENT})*$`),
    shown: "/v1/payments, /v1/payments/*",
  },
];

/** `/proxy/<provider>/<path>` split, or `undefined` when the shape is wrong. */
export function splitProxyPath(pathname: string): { provider: string; path: string } | undefined {
  const match = /^\/proxy\/([a-z]+)(\/.*)$/.exec(pathname);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  return { provider: match[1], path: match[2] };
}

/** The rule that opens `path` of `provider`, if any. */
export function findRule(provider: string, path: string): ProxyRule | undefined {
  return PROXY_RULES.find((rule) => rule.provider === provider && rule.path.test(path));
}
