import * as v from "valibot";
import { EdgeTokenError, type EdgeTokenErrorCode } from "../errors.ts";
import { parseConfig, parseValue } from "../parse.ts";
import {
  attachToken,
  type Provider,
  type ProviderContext,
  type ResponseVerdict,
  type TokenPlacement,
} from "../provider.ts";
import { type RequestPolicy, type SentRequest, sendRequest } from "../request.ts";
import type { Token } from "../token.ts";
import { issuedToken } from "./issued-token.ts";
import { checkedNumber, RequestPolicySchema } from "./policy-schema.ts";
import { providerCodeOf } from "./provider-code.ts";
import { checkBaseUrl } from "./service-url.ts";

/** The scopes an iPOSpays key can ask for; a token carries exactly one. */
export type IposPaysScope =
  | "PaymentTokenization"
  | "Recurring"
  | "BatchReport"
  | "ExternalApi"
  | "CardLookUp";

/** The portal account a key was generated from; it decides which scopes the key may have. */
export type IposPaysKeyLevel = "merchant" | "iso" | "agent";

/** Options of {@link ipospays}. */
export interface IposPaysOptions {
  apiKey: string;
  secretKey: string;
  scope: IposPaysScope;
  /** Default `sandbox` (`auth.ipospays.tech`); `production` is `auth.ipospays.com`. */
  environment?: "sandbox" | "production";
  /** Overrides the host, e.g. the emulator's `http://127.0.0.1:8788/ipospays`. */
  baseUrl?: string;
  /** The token lifetime to ask for, 30–1440 minutes. Default: the provider's 24 h. */
  expiryMinutes?: number;
  /** How the lifetime header is spelled: the Transact guide's (default) or the HPP's. */
  expiryHeader?: "jwtTokenExpiryMinutes" | "TokenExpiryMinutes";
  /** When given, the scope is checked against the key's level before anything is sent. */
  keyLevel?: IposPaysKeyLevel;
  requestPolicy?: RequestPolicy;
}

/**
 * iPOSpays' published hosts (a `ProviderHosts`): `auth` issues tokens, `api` (Transact,
 * HPP) takes them.
 *
 * @see https://docs.ipospays.com/authentication-token-api
 * @example
 * await source.fetch(`${IPOSPAYS_HOSTS.api.sandbox}/api/v3/iposTransact`, { method: "POST", body });
 */
export const IPOSPAYS_HOSTS = {
  auth: { sandbox: "https://auth.ipospays.tech", production: "https://auth.ipospays.com" },
  api: { sandbox: "https://payment.ipospays.tech", production: "https://payment.ipospays.com" },
} as const;

// The token hosts apart, so that a bundle without IPOSPAYS_HOSTS does not carry the API hosts.
// Both environments are published: no environment can be without a host.
const AUTH_HOSTS = {
  sandbox: "https://auth.ipospays.tech",
  production: "https://auth.ipospays.com",
};

/** iPOSpays takes its token as a `token` header, without `Bearer`. */
const PLACEMENT: TokenPlacement = { header: "token", prefix: "" };

const SCOPES = ["PaymentTokenization", "Recurring", "BatchReport", "ExternalApi", "CardLookUp"];
/** The scopes each key level may have: a merchant's are the first three, an ISO's the first four. */
const LEVEL_SCOPES: Record<IposPaysKeyLevel, readonly string[]> = {
  merchant: SCOPES.slice(0, 3),
  iso: SCOPES.slice(0, 4),
  agent: ["ExternalApi"],
};
const NAME = "iPOSpays";

// Both travel as header values: visible ASCII characters only, so nothing is mangled or refused
// in flight. The token does too, so the same check keeps one that could not be sent out of the
// cache.
const HeaderValue = v.pipe(v.string(), v.regex(/^[\x21-\x7e]+$/));

const OptionsSchema = v.object({
  apiKey: HeaderValue,
  secretKey: HeaderValue,
  scope: v.picklist(SCOPES),
  environment: v.optional(v.picklist(["sandbox", "production"]), "sandbox"),
  baseUrl: v.optional(v.string()),
  expiryMinutes: v.optional(checkedNumber(Number.isInteger, "an integer")),
  expiryHeader: v.optional(
    v.picklist(["jwtTokenExpiryMinutes", "TokenExpiryMinutes"]),
    "jwtTokenExpiryMinutes",
  ),
  keyLevel: v.optional(v.picklist(["merchant", "iso", "agent"])),
  requestPolicy: v.optional(RequestPolicySchema),
});

type Config = v.InferOutput<typeof OptionsSchema> & { base: string };

// `createdDt` (epoch ms as a string in one guide, a zone-less local date-time in another) is
// not used, so it is not read either.
const Success = v.object({
  responseCode: v.picklist(["00"]),
  responseMessage: v.optional(v.string()),
  token: HeaderValue,
});

const ErrorBody = v.object({ errorCode: v.string() });

/** What each documented error code means for us: the error's code, and what went wrong. */
const ERRORS: Record<string, [EdgeTokenErrorCode, string]> = {
  AUTH_ERR_001: ["configuration", "the apiKey header was missing"],
  AUTH_ERR_002: ["configuration", "the secretKey header was missing"],
  AUTH_ERR_003: ["configuration", "the scope header was missing"],
  AUTH_ERR_004: ["credentials", "the apiKey/secretKey pair was refused; check both in the portal"],
  AUTH_ERR_005: ["scope", "this key may not have that scope; check the key's level"],
  AUTH_ERR_006: ["refresh_rejected", "the token was refused for refresh"],
  AUTH_ERR_007: ["refresh_rejected", "the token was refused for refresh"],
  AUTH_ERR_008: ["refresh_rejected", "the token's signature was refused for refresh"],
  AUTH_ERR_009: [
    "protocol",
    "the refreshToken header was not accepted; this is a bug in edgetoken",
  ],
  AUTH_ERR_011: ["configuration", "expiryMinutes is below 30"],
  AUTH_ERR_012: ["configuration", "expiryMinutes is above 1440"],
};

function config(options: IposPaysOptions): Config {
  const parsed = parseConfig(options, OptionsSchema, "ipospays() options");
  const { expiryMinutes: minutes, keyLevel, scope } = parsed;
  // AUTH_ERR_011 and 012 are answered before anything is sent.
  if (minutes !== undefined && !(minutes >= 30 && minutes <= 1440)) {
    throw new EdgeTokenError("configuration", `${NAME} expiryMinutes must be 30 to 1440 (24 h).`, {
      providerCode: minutes < 30 ? "AUTH_ERR_011" : "AUTH_ERR_012",
    });
  }
  const allowed = keyLevel === undefined ? [scope] : LEVEL_SCOPES[keyLevel];
  if (!allowed.includes(scope)) {
    throw new EdgeTokenError(
      "scope",
      `${NAME} ${keyLevel}-level keys may not ask for ${scope}: they may have ${allowed.join(", ")}.`,
    );
  }
  const host = parsed.baseUrl ?? AUTH_HOSTS[parsed.environment];
  return { ...parsed, base: checkBaseUrl(NAME, "baseUrl", host) };
}

/**
 * The generate request: credentials travel as request headers, as the guide's "Header Request"
 * and public integrations do (a body-only request is answered AUTH_ERR_001).
 *
 * @see https://docs.ipospays.com/authentication-token-api
 */
export function ipospaysGenerateRequest(options: IposPaysOptions): Request {
  return generateRequest(config(options));
}

function generateRequest(c: Config): Request {
  const headers = new Headers({ apiKey: c.apiKey, secretKey: c.secretKey, scope: c.scope });
  if (c.expiryMinutes !== undefined) headers.set(c.expiryHeader, String(c.expiryMinutes));
  return new Request(`${c.base}/v1/authenticate-token`, { method: "POST", headers });
}

/** The refresh request: `refreshToken: true` and the current token, no key or secret. */
export function ipospaysRefreshRequest(options: IposPaysOptions, previous: Token): Request {
  return refreshRequest(config(options), previous);
}

function refreshRequest(c: Config, previous: Token): Request {
  return new Request(`${c.base}/v1/refresh-token`, {
    method: "POST",
    headers: { refreshToken: "true", token: previous.value },
  });
}

function providerError(code: string, status: number, what: string): EdgeTokenError {
  const providerCode = providerCodeOf(code);
  const known =
    providerCode !== undefined && Object.hasOwn(ERRORS, providerCode) && ERRORS[providerCode];
  if (known) {
    return new EdgeTokenError(known[0], `${what}: ${known[1]} (${providerCode}).`, {
      providerCode,
      status,
    });
  }
  return new EdgeTokenError(
    "invalid_response",
    `${what} answered with ${providerCode === undefined ? "a malformed error code" : "an undocumented error"}.`,
    { providerCode, status, retryable: false },
  );
}

/**
 * Reads a generate or refresh response. An error is an `errorCode`, or a `responseCode` other
 * than `"00"`, whatever the HTTP status (the reference shows errors under 200); a non-2xx or
 * non-JSON answer is an error too.
 *
 * @example
 * const token = processIposPaysResponse(sent, "generate", { expiryMinutes: 60 });
 */
export function processIposPaysResponse(
  sent: SentRequest,
  endpoint: "generate" | "refresh",
  requested: { scope?: string; expiryMinutes?: number | undefined } = {},
): Token {
  const status = sent.response.status;
  const what = `${NAME} ${endpoint}`;
  // 401 (and 403 without JSON) is the refusal of the credentials, or of the token on refresh.
  const httpError = (refusal: boolean): EdgeTokenError =>
    new EdgeTokenError(
      refusal ? (endpoint === "refresh" ? "refresh_rejected" : "credentials") : "invalid_response",
      `${what} answered HTTP ${status}.`,
      { status },
    );
  let json: unknown;
  try {
    json = JSON.parse(sent.body);
  } catch {
    if (status === 401 || status === 403) throw httpError(true);
    throw new EdgeTokenError("invalid_response", `${what} did not answer with JSON.`, { status });
  }
  if (typeof json === "object" && json !== null) {
    const record = json as Record<string, unknown>;
    if ("errorCode" in record) {
      throw providerError(parseValue(json, ErrorBody, what, status).errorCode, status, what);
    }
    if (typeof record.responseCode === "string" && record.responseCode !== "00") {
      throw providerError(record.responseCode, status, what);
    }
  }
  if (status < 200 || status > 299) throw httpError(status === 401);
  return issuedToken(
    sent,
    {
      value: parseValue(json, Success, what, status).token,
      requireJwt: true,
      scope: requested.scope,
      requestedLifetime: (requested.expiryMinutes ?? 1440) * 60,
    },
    what,
  );
}

async function transactVerdict(response: Response): Promise<ResponseVerdict> {
  if (response.status === 401) return "rejected";
  if (response.headers.get("AuthenticationRefreshRequired")?.toLowerCase() === "true")
    return "renew";
  if (!response.headers.get("content-type")?.includes("json")) return "ok";
  // Looking inside means buffering a copy: only for bodies of a sensible size (no header: 0).
  if (Number(response.headers.get("content-length")) > 65_536) return "ok";
  try {
    const body = (await response.clone().json()) as { AuthenticationRefreshRequired?: unknown };
    const flag = body?.AuthenticationRefreshRequired;
    return flag === true || flag === "true" ? "renew" : "ok";
  } catch {
    return "ok";
  }
}

/**
 * iPOSpays (Dejavoo): a token per scope from an API key and secret key, refreshed by reissue
 * before it expires, attached as a `token` header (no `Bearer`). A refresh refused with
 * AUTH_ERR_006/007/008 falls back to generating anew; a Transact response that carries
 * `AuthenticationRefreshRequired: true` drops the token before the next call.
 *
 * @see https://docs.ipospays.com/authentication-token-api
 * @example
 * const source = createTokenSource(
 *   ipospays({ apiKey: env.IPOS_API_KEY, secretKey: env.IPOS_SECRET_KEY, scope: "PaymentTokenization" }),
 *   { store: createKvStore(env.TOKENS) },
 * );
 * await source.fetch("https://payment.ipospays.tech/api/v3/iposTransact", { method: "POST", body });
 */
/* @__NO_SIDE_EFFECTS__ */
export function ipospays(options: IposPaysOptions): Provider {
  const c = config(options);
  const call = async (
    endpoint: "generate" | "refresh",
    build: () => Request,
    { runtime, signal }: ProviderContext,
  ): Promise<Token> => {
    const sent = await sendRequest(build, runtime, c.requestPolicy, `${NAME} ${endpoint}`, signal);
    // What was asked for: the scope and the lifetime, from the options.
    return processIposPaysResponse(sent, endpoint, c);
  };
  return {
    key: {
      provider: "ipospays",
      environment: c.environment,
      credentialId: c.apiKey,
      scope: c.scope,
      endpoint: c.base,
    },
    obtain: (context) => call("generate", () => generateRequest(c), context),
    canRefresh(previous: Token, now: number): boolean {
      // An expired token is answered AUTH_ERR_007: generate straight away instead.
      return previous.expiresAt > now;
    },
    refresh: (previous, context) => call("refresh", () => refreshRequest(c, previous), context),
    placement: PLACEMENT,
    apply(request: Request, token: Token): Request {
      return attachToken(request, token, PLACEMENT);
    },
    inspect: transactVerdict,
    toJSON: () => ({ provider: "ipospays", environment: c.environment, scope: c.scope }),
  };
}
