import * as v from "valibot";
import { EdgeTokenError } from "../errors.ts";
import { parseConfig, parseJson } from "../parse.ts";
import { BEARER, bearer, type Provider, type ProviderContext } from "../provider.ts";
import { type RequestPolicy, type SentRequest, sendRequest } from "../request.ts";
import type { Token } from "../token.ts";
import { chooseHost } from "./hosts.ts";
import { issuedToken } from "./issued-token.ts";
import { RequestPolicySchema } from "./policy-schema.ts";
import { checkBaseUrl } from "./service-url.ts";

/** Options of {@link papaya}. */
export interface PapayaOptions {
  apiKey: string;
  clientSecret: string;
  /** A name for the token; the server picks a random UUID when absent. */
  tokenName?: string;
  /** The token's lifetime in seconds. Default: the server's 86 400 (24 h). */
  expiration?: number;
  /** Default `sandbox` (the staging host). No production host is published: it needs `baseUrl`. */
  environment?: "sandbox" | "production";
  /** The host, e.g. the emulator's `http://127.0.0.1:8788/papaya`. */
  baseUrl?: string;
  /** The scope name tokens are cached under. Default `payments`. */
  scope?: string;
  requestPolicy?: RequestPolicy;
}

const NAME = "Papaya Global";
/**
 * Papaya Global's published hosts (a `ProviderHosts`): the staging auth service only; no
 * production host and no API host are published (the account manager gives them).
 *
 * @see https://docs.papayaglobal.com/api-reference/authentication-api
 * @example
 * const auth = PAPAYA_HOSTS.auth.sandbox;
 */
export const PAPAYA_HOSTS = {
  auth: { sandbox: "https://authentication-service.staging.pay.papayaglobal.work" },
} as const;

const OptionsSchema = v.object({
  apiKey: v.pipe(v.string(), v.nonEmpty()),
  clientSecret: v.pipe(v.string(), v.nonEmpty()),
  tokenName: v.optional(v.pipe(v.string(), v.nonEmpty(), v.maxLength(200))),
  expiration: v.optional(v.pipe(v.number(), v.integer(), v.minValue(60))),
  environment: v.optional(v.picklist(["sandbox", "production"]), "sandbox"),
  baseUrl: v.optional(v.string()),
  scope: v.optional(v.pipe(v.string(), v.nonEmpty()), "payments"),
  requestPolicy: v.optional(RequestPolicySchema),
});

type Config = v.InferOutput<typeof OptionsSchema> & { base: string };

/** `valid_until` is ISO 8601, sometimes truncated to the minute (`2024-07-11T07:48Z`). */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

const Obtained = v.object({
  valid_until: v.pipe(
    v.string(),
    v.regex(ISO_8601, "an ISO 8601 date-time with a zone"),
    v.check((text) => !Number.isNaN(Date.parse(text)), "a real date"),
  ),
  token: v.pipe(v.string(), v.nonEmpty()),
  token_name: v.optional(v.string()),
});

function config(options: PapayaOptions): Config {
  const parsed = parseConfig(options, OptionsSchema, "papaya() options");
  const host = chooseHost(NAME, parsed.environment, parsed.baseUrl, PAPAYA_HOSTS.auth);
  return { ...parsed, base: checkBaseUrl(NAME, "baseUrl", host) };
}

function obtainRequest(c: Config): Request {
  const body: Record<string, unknown> = { api_key: c.apiKey, client_secret: c.clientSecret };
  if (c.tokenName !== undefined) body.token_name = c.tokenName;
  if (c.expiration !== undefined) body.expiration = c.expiration;
  return new Request(`${c.base}/token`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** The obtain request: `api_key`, `client_secret` and the optional name and lifetime as JSON. */
export function papayaObtainRequest(options: PapayaOptions): Request {
  return obtainRequest(config(options));
}

/**
 * Reads an obtain response: 201 `{valid_until, token, token_name}`. The expiry is the earliest
 * of `valid_until` (corrected by the `Date` header), the JWT `exp` and the requested lifetime.
 * 401 is a credentials error; other statuses are errors too.
 *
 * @example
 * const token = processPapayaResponse(sent, { expiration: 3600 });
 */
export function processPapayaResponse(
  sent: SentRequest,
  requested: { expiration?: number | undefined; scope?: string | undefined } = {},
): Token {
  const status = sent.response.status;
  const what = `${NAME} token`;
  if (status === 401 || status === 403) {
    throw new EdgeTokenError(
      "credentials",
      `${what}: apiKey/clientSecret refused (HTTP ${status}).`,
      {
        status,
      },
    );
  }
  if (status < 200 || status > 299) {
    const code = status >= 400 && status < 500 ? "configuration" : "invalid_response";
    throw new EdgeTokenError(code, `${what} answered HTTP ${status}.`, {
      status,
      retryable: false,
    });
  }
  const body = parseJson(sent.body, Obtained, what, status);
  return issuedToken(
    sent,
    {
      value: body.token,
      validUntil: Date.parse(body.valid_until),
      requestedLifetime: requested.expiration ?? 86_400,
      requireJwt: true,
      scope: requested.scope,
    },
    what,
  );
}

/**
 * Papaya Global's Workforce Payments API: a bearer token from an API key and client secret.
 * There is no refresh endpoint, so the source obtains a new token ahead of `valid_until`.
 *
 * @see https://docs.papayaglobal.com/api-reference/authentication-api
 * @example
 * const source = createTokenSource(
 *   papaya({ apiKey: env.PAPAYA_API_KEY, clientSecret: env.PAPAYA_CLIENT_SECRET, expiration: 3600 }),
 * );
 */
/* @__NO_SIDE_EFFECTS__ */
export function papaya(options: PapayaOptions): Provider {
  const c = config(options);
  const policy = c.requestPolicy ?? {};
  const requested = { expiration: c.expiration, scope: c.scope };
  return {
    key: {
      provider: "papaya",
      environment: c.environment,
      credentialId: c.apiKey,
      scope: c.scope,
      endpoint: c.base,
    },
    async obtain({ runtime, signal }: ProviderContext): Promise<Token> {
      const sent = await sendRequest(
        () => obtainRequest(c),
        runtime,
        policy,
        `${NAME} token`,
        signal,
      );
      return processPapayaResponse(sent, requested);
    },
    placement: BEARER,
    apply: bearer,
    toJSON: () => ({ provider: "papaya", environment: c.environment, scope: c.scope }),
  };
}
