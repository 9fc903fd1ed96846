import * as v from "valibot";
import { EdgeTokenError, type EdgeTokenErrorCode } from "../errors.ts";
import { parseConfig, parseJson, peekJson } from "../parse.ts";
import { BEARER, bearer, type Provider, type ProviderContext } from "../provider.ts";
import { type RequestPolicy, type SentRequest, sendRequest } from "../request.ts";
import type { Token } from "../token.ts";
import { basicAuthorization } from "./basic-auth.ts";
import { issuedToken } from "./issued-token.ts";
import { RequestPolicySchema } from "./policy-schema.ts";
import { checkBaseUrl } from "./service-url.ts";

/**
 * An OAuth 2.0 `error` (RFC 6749 §5.2, §11.4): registered codes are lower-case words joined by
 * `_`. Stricter than the code of other providers (`provider-code.ts`), because a bare client secret echoed back would pass
 * for a short token; it cannot pass for `invalid_client`.
 */
const OAuthCode = v.pipe(v.string(), v.regex(/^[a-z]{1,32}(?:_[a-z]{1,32}){0,4}$/));

/** An OAuth `error` when it is a registered-style code; `undefined` (dropped) otherwise. */
function oauthCodeOf(value: unknown): string | undefined {
  return v.safeParse(OAuthCode, value).success ? (value as string) : undefined;
}

/** Options of {@link oauth2ClientCredentials}. */
export interface OAuth2ClientCredentialsOptions {
  /** The token endpoint (HTTPS; HTTP only on loopback). */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Scopes to ask for, space-separated or as a list. */
  scope?: string | readonly string[];
  /** RFC 8707 resource indicators: the audience of the token. */
  resource?: string | readonly string[];
  /** The `audience` parameter some servers (Auth0, Okta) use instead of `resource`. */
  audience?: string;
  /** How the client authenticates. Default `client_secret_basic` (RFC 6749 §2.3.1). */
  authMethod?: "client_secret_basic" | "client_secret_post";
  /** A name for the deployment, part of the store key. Default `default`. */
  environment?: string;
  /** Seconds to assume when the server sends neither `expires_in` nor a JWT. Default 300. */
  defaultLifetime?: number;
  requestPolicy?: RequestPolicy;
}

const NAME = "OAuth 2.0 token endpoint";
const list = v.union([v.string(), v.array(v.string())]);

const OptionsSchema = v.object({
  tokenUrl: v.pipe(v.string(), v.nonEmpty()),
  clientId: v.pipe(v.string(), v.nonEmpty()),
  clientSecret: v.pipe(v.string(), v.nonEmpty()),
  scope: v.optional(list),
  resource: v.optional(list),
  audience: v.optional(v.pipe(v.string(), v.nonEmpty())),
  authMethod: v.optional(
    v.picklist(["client_secret_basic", "client_secret_post"]),
    "client_secret_basic",
  ),
  environment: v.optional(v.pipe(v.string(), v.nonEmpty()), "default"),
  defaultLifetime: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 300),
  requestPolicy: v.optional(RequestPolicySchema),
});

interface Config {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scopes: string[];
  resources: string[];
  audience: string | undefined;
  authMethod: "client_secret_basic" | "client_secret_post";
  environment: string;
  defaultLifetime: number;
  requestPolicy: RequestPolicy;
}

const TokenResponse = v.object({
  access_token: v.pipe(v.string(), v.nonEmpty()),
  token_type: v.pipe(
    v.string(),
    v.check((type) => type.toLowerCase() === "bearer", "token_type Bearer"),
  ),
  expires_in: v.optional(v.pipe(v.number(), v.finite(), v.minValue(1))),
  scope: v.optional(v.string()),
});

/** RFC 6749 §5.2 error codes, and what they mean for us. */
const ERROR_CODES: Record<string, EdgeTokenErrorCode> = {
  invalid_client: "credentials",
  unauthorized_client: "credentials",
  invalid_grant: "credentials",
  invalid_scope: "scope",
  invalid_request: "configuration",
  unsupported_grant_type: "configuration",
  // RFC 8707 §2: a `resource` the server does not know is a configuration mistake, not an outage.
  invalid_target: "configuration",
};

const ErrorResponse = v.object({ error: v.unknown() });

function words(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const items = typeof value === "string" ? value.split(" ") : value;
  return items.filter((item) => item.length > 0);
}

function config(options: OAuth2ClientCredentialsOptions): Config {
  const parsed = parseConfig(options, OptionsSchema, "oauth2ClientCredentials() options");
  const tokenUrl = checkBaseUrl(NAME, "tokenUrl", parsed.tokenUrl);
  return {
    tokenUrl,
    clientId: parsed.clientId,
    clientSecret: parsed.clientSecret,
    scopes: words(parsed.scope),
    resources: words(parsed.resource),
    audience: parsed.audience,
    authMethod: parsed.authMethod,
    environment: parsed.environment,
    defaultLifetime: parsed.defaultLifetime,
    requestPolicy: parsed.requestPolicy ?? {},
  };
}

function tokenRequest(c: Config): Request {
  const form = new URLSearchParams({ grant_type: "client_credentials" });
  if (c.scopes.length > 0) form.set("scope", c.scopes.join(" "));
  for (const resource of c.resources) form.append("resource", resource);
  if (c.audience !== undefined) form.set("audience", c.audience);
  const headers = new Headers({
    "Content-Type": "application/x-www-form-urlencoded",
    Accept: "application/json",
  });
  if (c.authMethod === "client_secret_basic") {
    headers.set("Authorization", basicAuthorization(c.clientId, c.clientSecret));
  } else {
    form.set("client_id", c.clientId);
    form.set("client_secret", c.clientSecret);
  }
  return new Request(c.tokenUrl, { method: "POST", headers, body: form });
}

/**
 * The client-credentials token request (RFC 6749 §4.4.2).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4.2
 */
export function oauth2TokenRequest(options: OAuth2ClientCredentialsOptions): Request {
  return tokenRequest(config(options));
}

/**
 * Reads a token response (RFC 6749 §5.1) or error (§5.2). The `error_description` is not
 * repeated: a server may echo what it was sent.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 * @example
 * const token = processOAuth2TokenResponse(sent, { scope: "payments", defaultLifetime: 300 });
 */
export function processOAuth2TokenResponse(
  sent: SentRequest,
  requested: { scope?: string | undefined; defaultLifetime?: number | undefined } = {},
): Token {
  const status = sent.response.status;
  if (status < 200 || status > 299) {
    const providerCode = oauthCodeOf(peekJson(sent.body, ErrorResponse)?.error);
    const code: EdgeTokenErrorCode =
      (providerCode !== undefined && Object.hasOwn(ERROR_CODES, providerCode)
        ? ERROR_CODES[providerCode]
        : undefined) ?? (status === 401 || status === 403 ? "credentials" : "invalid_response");
    throw new EdgeTokenError(
      code,
      `${NAME} refused the request (HTTP ${status}${providerCode ? `, ${providerCode}` : ""}).`,
      { status, retryable: false, ...(providerCode === undefined ? {} : { providerCode }) },
    );
  }
  const body = parseJson(sent.body, TokenResponse, NAME, status);
  return issuedToken(
    sent,
    {
      value: body.access_token,
      expiresIn: body.expires_in,
      scope: body.scope ?? requested.scope,
      fallbackLifetime: requested.defaultLifetime ?? 300,
    },
    NAME,
  );
}

/**
 * Any OAuth 2.0 token endpoint, client-credentials grant (RFC 6749 §4.4), with
 * `client_secret_basic` or `client_secret_post`, scopes, and `resource` (RFC 8707) or `audience`
 * — including edgetoken's own broker.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 * @example
 * const source = createTokenSource(oauth2ClientCredentials({
 *   tokenUrl: "https://auth.example.com/oauth/token",
 *   clientId: env.CLIENT_ID, clientSecret: env.CLIENT_SECRET, scope: ["payments:write"],
 * }));
 */
/* @__NO_SIDE_EFFECTS__ */
export function oauth2ClientCredentials(options: OAuth2ClientCredentialsOptions): Provider {
  const c = config(options);
  const scope = [...c.scopes].sort().join(" ");
  const keyScope = [scope, ...c.resources, c.audience ?? ""].filter(Boolean).join("|") || "-";
  return {
    key: {
      provider: `oauth2:${new URL(c.tokenUrl).host}`,
      environment: c.environment,
      credentialId: c.clientId,
      scope: keyScope,
      endpoint: c.tokenUrl,
    },
    async obtain({ runtime, signal }: ProviderContext): Promise<Token> {
      const sent = await sendRequest(() => tokenRequest(c), runtime, c.requestPolicy, NAME, signal);
      return processOAuth2TokenResponse(sent, {
        scope: scope || undefined,
        defaultLifetime: c.defaultLifetime,
      });
    },
    placement: BEARER,
    apply: bearer,
    toJSON: () => ({ provider: "oauth2", tokenUrl: c.tokenUrl, environment: c.environment, scope }),
  };
}
