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
import { chooseHost } from "./hosts.ts";
import { issuedToken } from "./issued-token.ts";
import { RequestPolicySchema } from "./policy-schema.ts";
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

/** iPOSpays takes its token as a `token` header, without `Bearer`. */
const PLACEMENT: TokenPlacement = { header: "token", prefix: "" };

const SCOPES = ["PaymentTokenization", "Recurring", "BatchReport", "ExternalApi", "CardLookUp"];
const LEVEL_SCOPES: Record<IposPaysKeyLevel, readonly string[]> = {
  merchant: ["PaymentTokenization", "Recurring", "BatchReport"],
  iso: ["PaymentTokenization", "Recurring", "BatchReport", "ExternalApi"],
  agent: ["ExternalApi"],
};
const NAME = "iPOSpays";

// Both travel as header values: visible ASCII only, so nothing is mangled or refused in flight.
const HeaderValue = v.pipe(
  v.string(),
  v.regex(/^[\x21-\x7e]+$/, "visible ASCII characters (it travels in a request header)"),
);

const OptionsSchema = v.object({
  apiKey: HeaderValue,
  secretKey: HeaderValue,
  scope: v.picklist(SCOPES),
  environment: v.optional(v.picklist(["sandbox", "production"]), "sandbox"),
  baseUrl: v.optional(v.string()),
  expiryMinutes: v.optional(v.pipe(v.number(), v.integer())),
  expiryHeader: v.optional(
    v.picklist(["jwtTokenExpiryMinutes", "TokenExpiryMinutes"]),
    "jwtTokenExpiryMinutes",
  ),
  keyLevel: v.optional(v.picklist(["merchant", "iso", "agent"])),
  requestPolicy: v.optional(RequestPolicySchema),
});

type Config = v.InferOutput<typeof OptionsSchema> & { base: string };

const Success = v.object({
  responseCode: v.literal("00"),
  responseMessage: v.optional(v.string()),
  // Epoch ms as a string in one guide, a zone-less local date-time in another: kept, not used.
  createdDt: v.optional(v.union([v.string(), v.number()])),
  token: v.pipe(v.string(), v.nonEmpty()),
});

const ErrorBody = v.object({ errorCode: v.string(), errorMessage: v.optional(v.unknown()) });

/** What each documented error code means for us. */
const ERRORS: Record<string, { code: EdgeTokenErrorCode; message: string }> = {
  AUTH_ERR_001: { code: "configuration", message: "the apiKey header was missing (AUTH_ERR_001)" },
  AUTH_ERR_002: {
    code: "configuration",
    message: "the secretKey header was missing (AUTH_ERR_002)",
  },
  AUTH_ERR_003: { code: "configuration", message: "the scope header was missing (AUTH_ERR_003)" },
  AUTH_ERR_004: {
    code: "credentials",
    message: "the apiKey/secretKey pair was refused (AUTH_ERR_004); check both in the portal",
  },
  AUTH_ERR_005: {
    code: "scope",
    message: "this key may not have that scope (AUTH_ERR_005); check the key's level",
  },
  AUTH_ERR_006: {
    code: "refresh_rejected",
    message: "the token was refused for refresh (AUTH_ERR_006)",
  },
  AUTH_ERR_007: {
    code: "refresh_rejected",
    message: "the token was refused for refresh (AUTH_ERR_007)",
  },
  AUTH_ERR_008: {
    code: "refresh_rejected",
    message: "the token's signature was refused for refresh (AUTH_ERR_008)",
  },
  AUTH_ERR_009: {
    code: "protocol",
    message: "the refreshToken header was not accepted (AUTH_ERR_009); this is a bug in edgetoken",
  },
  AUTH_ERR_011: { code: "configuration", message: "expiryMinutes is below 30 (AUTH_ERR_011)" },
  AUTH_ERR_012: { code: "configuration", message: "expiryMinutes is above 1440 (AUTH_ERR_012)" },
};

function config(options: IposPaysOptions): Config {
  const parsed = parseConfig(options, OptionsSchema, "ipospays() options");
  // AUTH_ERR_011 and 012 are answered before anything is sent.
  if (parsed.expiryMinutes !== undefined && parsed.expiryMinutes < 30) {
    throw new EdgeTokenError("configuration", `${NAME} expiryMinutes must be at least 30.`, {
      providerCode: "AUTH_ERR_011",
    });
  }
  if (parsed.expiryMinutes !== undefined && parsed.expiryMinutes > 1440) {
    throw new EdgeTokenError(
      "configuration",
      `${NAME} expiryMinutes must be at most 1440 (24 h).`,
      {
        providerCode: "AUTH_ERR_012",
      },
    );
  }
  if (parsed.keyLevel !== undefined && !LEVEL_SCOPES[parsed.keyLevel].includes(parsed.scope)) {
    throw new EdgeTokenError(
      "scope",
      `${NAME} ${parsed.keyLevel}-level keys may not ask for ${parsed.scope}: they may have ${LEVEL_SCOPES[parsed.keyLevel].join(", ")}.`,
    );
  }
  const host = chooseHost(NAME, parsed.environment, parsed.baseUrl, IPOSPAYS_HOSTS.auth);
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

function providerError(
  code: string,
  status: number,
  endpoint: "generate" | "refresh",
): EdgeTokenError {
  const providerCode = providerCodeOf(code);
  const what = `${NAME} ${endpoint}`;
  if (providerCode === undefined) {
    return new EdgeTokenError("invalid_response", `${what} answered with a malformed error code.`, {
      status,
      retryable: false,
    });
  }
  const known = Object.hasOwn(ERRORS, providerCode) ? ERRORS[providerCode] : undefined;
  if (known !== undefined) {
    return new EdgeTokenError(known.code, `${what}: ${known.message}.`, { providerCode, status });
  }
  return new EdgeTokenError("invalid_response", `${what} answered with an undocumented error.`, {
    providerCode,
    status,
    retryable: false,
  });
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
  let json: unknown;
  try {
    json = JSON.parse(sent.body);
  } catch {
    if (status === 401 || status === 403) {
      const code = endpoint === "refresh" ? "refresh_rejected" : "credentials";
      throw new EdgeTokenError(code, `${what} answered HTTP ${status}.`, { status });
    }
    throw new EdgeTokenError("invalid_response", `${what} did not answer with JSON.`, { status });
  }
  if (typeof json === "object" && json !== null) {
    const record = json as Record<string, unknown>;
    if ("errorCode" in record) {
      const error = parseValue(json, ErrorBody, what, status);
      throw providerError(error.errorCode, status, endpoint);
    }
    if (typeof record.responseCode === "string" && record.responseCode !== "00") {
      throw providerError(record.responseCode, status, endpoint);
    }
  }
  if (status < 200 || status > 299) {
    const code: EdgeTokenErrorCode =
      status === 401
        ? endpoint === "refresh"
          ? "refresh_rejected"
          : "credentials"
        : "invalid_response";
    throw new EdgeTokenError(code, `${what} answered HTTP ${status}.`, { status });
  }
  const body = parseValue(json, Success, what, status);
  return issuedToken(
    sent,
    {
      value: body.token,
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
  // Looking inside means buffering a copy: only for bodies of a sensible size.
  if (Number(response.headers.get("content-length") ?? 0) > 65_536) return "ok";
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
  const policy = c.requestPolicy ?? {};
  const requested = { scope: c.scope, expiryMinutes: c.expiryMinutes };
  return {
    key: {
      provider: "ipospays",
      environment: c.environment,
      credentialId: c.apiKey,
      scope: c.scope,
      endpoint: c.base,
    },
    async obtain({ runtime, signal }: ProviderContext): Promise<Token> {
      const sent = await sendRequest(
        () => generateRequest(c),
        runtime,
        policy,
        `${NAME} generate`,
        signal,
      );
      return processIposPaysResponse(sent, "generate", requested);
    },
    canRefresh(previous: Token, now: number): boolean {
      // An expired token is answered AUTH_ERR_007: generate straight away instead.
      return previous.expiresAt > now;
    },
    async refresh(previous: Token, { runtime, signal }: ProviderContext): Promise<Token> {
      const sent = await sendRequest(
        () => refreshRequest(c, previous),
        runtime,
        policy,
        `${NAME} refresh`,
        signal,
      );
      return processIposPaysResponse(sent, "refresh", requested);
    },
    placement: PLACEMENT,
    apply(request: Request, token: Token): Request {
      return attachToken(request, token, PLACEMENT);
    },
    inspect: transactVerdict,
    toJSON: () => ({ provider: "ipospays", environment: c.environment, scope: c.scope }),
  };
}
