import * as v from "valibot";
import { EdgeTokenError } from "../errors.ts";
import { parseConfig } from "../parse.ts";
import { BEARER, bearer, type Provider, type ProviderContext } from "../provider.ts";
import { type RequestPolicy, sendRequest } from "../request.ts";
import type { Token } from "../token.ts";
import { basicAuthorization } from "./basic-auth.ts";
import { processOAuth2TokenResponse } from "./oauth2.ts";
import { RequestPolicySchema } from "./policy-schema.ts";
import { checkBaseUrl } from "./service-url.ts";

/** Options of {@link broker}: the broker, the scope, and one way to prove who is asking. */
export interface BrokerOptions {
  /** The broker's origin, e.g. `https://broker.example.com` or `http://127.0.0.1:8787`. */
  brokerUrl: string;
  /** One broker scope, `provider:scope`, e.g. `ipospays:PaymentTokenization`. */
  scope: string;
  /** The audience to ask for (RFC 8707 `resource`). Default: the client's default audience; in an exchange, the subject token's (the only one allowed). */
  resource?: string;
  /** Server side: this client's id and secret (client_credentials grant). */
  clientId?: string;
  clientSecret?: string;
  /** To pass on a narrower token: the broker token you hold (RFC 8693 token exchange). */
  subjectToken?: () => string | Promise<string>;
  /**
   * In a browser: your backend's endpoint that hands this page a narrowed broker token (an
   * OAuth token response). Called with `POST` and the page's cookies; the page holds no secret.
   */
  sessionUrl?: string;
  requestPolicy?: RequestPolicy;
}

/**
 * What a broker scope looks like, `provider:scope` (e.g. `ipospays:PaymentTokenization`),
 * whether or not a given broker knows it: the check of {@link BrokerOptions.scope}.
 *
 * @example
 * BROKER_SCOPE_PATTERN.test("papaya:payments"); // true
 */
export const BROKER_SCOPE_PATTERN: RegExp = /^[a-z0-9]+:[A-Za-z0-9_.-]+$/;

const NAME = "edgetoken broker";
const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

const OptionsSchema = v.pipe(
  v.object({
    brokerUrl: v.pipe(v.string(), v.nonEmpty()),
    scope: v.pipe(v.string(), v.regex(BROKER_SCOPE_PATTERN, "provider:scope")),
    resource: v.optional(v.pipe(v.string(), v.nonEmpty())),
    clientId: v.optional(v.pipe(v.string(), v.nonEmpty())),
    clientSecret: v.optional(v.pipe(v.string(), v.nonEmpty())),
    subjectToken: v.optional(v.function()),
    sessionUrl: v.optional(v.pipe(v.string(), v.nonEmpty())),
    requestPolicy: v.optional(RequestPolicySchema),
  }),
  v.check(
    (o) =>
      [o.clientId !== undefined, o.subjectToken !== undefined, o.sessionUrl !== undefined].filter(
        Boolean,
      ).length === 1 && (o.clientId === undefined) === (o.clientSecret === undefined),
    "exactly one of clientId + clientSecret, subjectToken or sessionUrl",
  ),
);

/**
 * Tokens from edgetoken's own broker: short-lived JWTs for one `provider:scope`, to call the
 * provider's API through the broker's proxy (`<brokerUrl>/proxy/<provider>/<path>`), which swaps
 * them for the provider's token. A backend authenticates with its client credentials; a token
 * holder narrows its token by exchange; a browser page asks its backend (`sessionUrl`) and so
 * never holds a credential.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8693
 * @example
 * // in the checkout page
 * const source = createTokenSource(broker({
 *   brokerUrl: "https://broker.example.com", scope: "ipospays:PaymentTokenization",
 *   sessionUrl: "/checkout/token",
 * }));
 * await source.fetch("https://broker.example.com/proxy/ipospays/api/v3/iposTransact", { method: "POST", body });
 */
/* @__NO_SIDE_EFFECTS__ */
export function broker(options: BrokerOptions): Provider {
  const o = parseConfig(options, OptionsSchema, "broker() options");
  const base = checkBaseUrl(NAME, "brokerUrl", o.brokerUrl);
  const policy = o.requestPolicy ?? {};
  const subjectToken = options.subjectToken;
  // A session URL may be relative to the page; resolved at call time against its location.
  const sessionUrl = o.sessionUrl;

  async function tokenRequest(): Promise<Request> {
    if (sessionUrl !== undefined) {
      const form = new URLSearchParams({ scope: o.scope });
      if (o.resource !== undefined) form.set("resource", o.resource);
      const origin = (globalThis as { location?: { href?: string } }).location?.href ?? base;
      // fetch's default credentials mode, same-origin, sends the page's cookies to its backend.
      return new Request(new URL(sessionUrl, origin), { method: "POST", body: form });
    }
    const form = new URLSearchParams({ scope: o.scope });
    if (o.resource !== undefined) form.set("resource", o.resource);
    const headers = new Headers({ Accept: "application/json" });
    if (subjectToken !== undefined) {
      form.set("grant_type", TOKEN_EXCHANGE);
      form.set("subject_token", await subjectToken());
      form.set("subject_token_type", ACCESS_TOKEN_TYPE);
    } else {
      form.set("grant_type", "client_credentials");
      headers.set("Authorization", basicAuthorization(o.clientId ?? "", o.clientSecret ?? ""));
    }
    return new Request(`${base}/oauth/token`, { method: "POST", headers, body: form });
  }

  return {
    key: {
      provider: `broker:${new URL(base).host}`,
      environment: "default",
      credentialId: o.clientId ?? (sessionUrl === undefined ? "exchange" : "session"),
      // Tokens for different audiences must not share a store entry.
      scope: o.resource === undefined ? o.scope : `${o.scope}|${o.resource}`,
      endpoint: sessionUrl ?? base,
    },
    async obtain({ runtime, signal }: ProviderContext): Promise<Token> {
      const request = await tokenRequest();
      const sent = await sendRequest(() => request.clone(), runtime, policy, NAME, signal);
      const token = processOAuth2TokenResponse(sent, { scope: o.scope, defaultLifetime: 60 });
      if (token.scope !== undefined && !token.scope.split(" ").includes(o.scope)) {
        throw new EdgeTokenError("scope", `${NAME} granted a token without ${o.scope}.`, {
          status: sent.response.status,
        });
      }
      return token;
    },
    placement: BEARER,
    apply: bearer,
    toJSON: () => ({ provider: "broker", brokerUrl: base, scope: o.scope }),
  };
}
