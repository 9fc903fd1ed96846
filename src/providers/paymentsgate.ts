import * as v from "valibot";
import { EdgeTokenError, type EdgeTokenErrorCode } from "../errors.ts";
import { utf8ToBase64 } from "../internal/base64url.ts";
import { parseConfig, parseJson, peekJson } from "../parse.ts";
import { BEARER, bearer, type Provider, type ProviderContext } from "../provider.ts";
import { type RequestPolicy, type SentRequest, sendRequest } from "../request.ts";
import type { Token } from "../token.ts";
import { chooseHost } from "./hosts.ts";
import { issuedToken } from "./issued-token.ts";
import { RequestPolicySchema } from "./policy-schema.ts";
import { providerCodeOf } from "./provider-code.ts";
import { checkBaseUrl } from "./service-url.ts";

/** Options of {@link paymentsGate}. */
export interface PaymentsGateOptions {
  /** The service account's id (a UUID). */
  accountId: string;
  /** The account's public key: the PEM file's text, or its base64 (base64 is what is sent). */
  publicKey: string;
  /** Default `sandbox`. No production host is published: `production` needs `baseUrl`. */
  environment?: "sandbox" | "production";
  /** The host, e.g. the emulator's `http://127.0.0.1:8788/paymentsgate`. */
  baseUrl?: string;
  /** The scope name tokens are cached under. Default `payments`. */
  scope?: string;
  requestPolicy?: RequestPolicy;
}

const NAME = "PaymentsGate";
/**
 * PaymentsGate's published hosts (a `ProviderHosts`): one host serves auth and API; no
 * production host is published (the account manager gives it).
 *
 * @see https://docs.paymentsgate.io
 * @example
 * const base = PAYMENTSGATE_HOSTS.api.sandbox; // "https://secure.sandbox.paymentsgate.io"
 */
export const PAYMENTSGATE_HOSTS = {
  auth: { sandbox: "https://secure.sandbox.paymentsgate.io" },
  api: { sandbox: "https://secure.sandbox.paymentsgate.io" },
} as const;

const OptionsSchema = v.object({
  accountId: v.pipe(v.string(), v.uuid()),
  publicKey: v.pipe(v.string(), v.nonEmpty()),
  environment: v.optional(v.picklist(["sandbox", "production"]), "sandbox"),
  baseUrl: v.optional(v.string()),
  scope: v.optional(v.pipe(v.string(), v.nonEmpty()), "payments"),
  requestPolicy: v.optional(RequestPolicySchema),
});

type Config = v.InferOutput<typeof OptionsSchema> & { base: string; encodedKey: string };

const TokenPair = v.object({
  access_token: v.pipe(v.string(), v.nonEmpty()),
  refresh_token: v.pipe(v.string(), v.nonEmpty()),
  expires_in: v.pipe(v.number(), v.finite(), v.minValue(1)),
});

const ErrorBody = v.object({
  error: v.optional(v.unknown()),
  message: v.optional(v.unknown()),
});

const STANDARD_BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** PEM text is base64-encoded (UTF-8); a value that already is base64 is sent as it is. */
function encodePublicKey(publicKey: string): string {
  const trimmed = publicKey.trim();
  if (
    !trimmed.includes("-----BEGIN") &&
    STANDARD_BASE64.test(trimmed) &&
    trimmed.length % 4 === 0
  ) {
    return trimmed;
  }
  return utf8ToBase64(publicKey);
}

function config(options: PaymentsGateOptions): Config {
  const parsed = parseConfig(options, OptionsSchema, "paymentsGate() options");
  return {
    ...parsed,
    base: checkBaseUrl(
      NAME,
      "baseUrl",
      chooseHost(NAME, parsed.environment, parsed.baseUrl, PAYMENTSGATE_HOSTS.auth),
    ),
    encodedKey: encodePublicKey(parsed.publicKey),
  };
}

function issueRequest(c: Config): Request {
  return new Request(`${c.base}/auth/token`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ account_id: c.accountId, public_key: c.encodedKey }),
  });
}

function refreshRequest(c: Config, previous: Token): Request {
  return new Request(`${c.base}/auth/token/refresh`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${previous.value}` },
    body: JSON.stringify({ refresh_token: previous.refreshToken }),
  });
}

/** The issue request: `account_id` and the base64 public key as JSON. */
export function paymentsGateIssueRequest(options: PaymentsGateOptions): Request {
  return issueRequest(config(options));
}

/** The refresh request: the access token as Bearer, the refresh token in the body. */
export function paymentsGateRefreshRequest(options: PaymentsGateOptions, previous: Token): Request {
  return refreshRequest(config(options), previous);
}

/**
 * Reads an issue or refresh response: `{access_token, refresh_token, expires_in}` on 2xx;
 * anything else is an error. 400/401 on refresh means the refresh token is dead
 * (`refresh_rejected`: issue anew); on issue, the account was refused.
 *
 * @example
 * const token = processPaymentsGateResponse(sent, "issue", "payments");
 */
export function processPaymentsGateResponse(
  sent: SentRequest,
  endpoint: "issue" | "refresh",
  scope?: string,
): Token {
  const status = sent.response.status;
  const what = `${NAME} ${endpoint}`;
  if (status < 200 || status > 299) {
    const providerCode = providerCodeOf(peekJson(sent.body, ErrorBody)?.error);
    const details = { status, ...(providerCode === undefined ? {} : { providerCode }) };
    if (endpoint === "refresh" && (status === 400 || status === 401)) {
      throw new EdgeTokenError(
        "refresh_rejected",
        `${what}: the refresh token was refused.`,
        details,
      );
    }
    const code: EdgeTokenErrorCode =
      status === 401 || status === 403
        ? "credentials"
        : status === 400
          ? "configuration"
          : "invalid_response";
    const hint =
      code === "credentials"
        ? "check accountId and publicKey"
        : code === "configuration"
          ? "the request was refused as malformed; check accountId and publicKey"
          : "unexpected status";
    throw new EdgeTokenError(code, `${what} answered HTTP ${status}: ${hint}.`, {
      ...details,
      retryable: false,
    });
  }
  const body = parseJson(sent.body, TokenPair, what, status);
  return issuedToken(
    sent,
    {
      value: body.access_token,
      refreshToken: body.refresh_token,
      expiresIn: body.expires_in,
      requireJwt: true,
      scope,
    },
    what,
  );
}

/**
 * PaymentsGate: an access/refresh pair from a service account. Refresh tokens are treated as
 * rotating: the new pair is stored before it is used, a refresh token that was sent once is
 * never sent again (a second attempt issues anew from the account credentials instead), and a
 * refused refresh falls back to issuing anew. Tokens are attached as `Authorization: Bearer`.
 *
 * @see https://docs.paymentsgate.io
 * @example
 * const source = createTokenSource(
 *   paymentsGate({ accountId: env.PG_ACCOUNT_ID, publicKey: env.PG_PUBLIC_KEY }),
 *   { store: createKvStore(createEncryptedKv(env.TOKENS, { keys })) },
 * );
 */
/* @__NO_SIDE_EFFECTS__ */
export function paymentsGate(options: PaymentsGateOptions): Provider {
  const c = config(options);
  const policy = c.requestPolicy ?? {};
  // Refresh tokens already sent from this instance, so none is ever sent twice (even after a
  // failure in which the provider may have exchanged it). Bounded: only recent ones matter.
  const spent: string[] = [];
  return {
    key: {
      provider: "paymentsgate",
      environment: c.environment,
      credentialId: c.accountId,
      scope: c.scope,
      endpoint: c.base,
    },
    async obtain({ runtime, signal }: ProviderContext): Promise<Token> {
      const sent = await sendRequest(
        () => issueRequest(c),
        runtime,
        policy,
        `${NAME} issue`,
        signal,
      );
      return processPaymentsGateResponse(sent, "issue", c.scope);
    },
    canRefresh(previous: Token): boolean {
      return previous.refreshToken !== undefined && !spent.includes(previous.refreshToken);
    },
    async refresh(previous: Token, { runtime, signal }: ProviderContext): Promise<Token> {
      const handle = previous.refreshToken;
      if (handle === undefined || spent.includes(handle)) {
        throw new EdgeTokenError(
          "refresh_rejected",
          `${NAME}: that refresh token was already used.`,
        );
      }
      spent.push(handle);
      if (spent.length > 32) spent.shift();
      // One attempt only: a retry would send the same refresh token a second time. A failure
      // (timeout, 5xx, 429) comes back as it is: the source backs off, and its next attempt
      // issues anew from the account, since this refresh token is spent.
      const sent = await sendRequest(
        () => refreshRequest(c, previous),
        runtime,
        { ...policy, retries: 0 },
        `${NAME} refresh`,
        signal,
      );
      return processPaymentsGateResponse(sent, "refresh", c.scope);
    },
    placement: BEARER,
    apply: bearer,
    toJSON: () => ({ provider: "paymentsgate", environment: c.environment, scope: c.scope }),
  };
}
