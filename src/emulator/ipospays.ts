/**
 * iPOSpays (Dejavoo) Authentication Token API, and Transact v3 as its protected endpoint.
 * PROVIDERS.md §1: credentials travel in request headers only; errors are
 * `{errorCode, errorMessage}` with the messages of the published guide.
 */
import type { ProtectedHeaderParameters } from "jose";
import { MAX_BODY_BYTES, readText } from "./body.ts";
import type { Endpoint, EndpointContext } from "./endpoint.ts";
import { fingerprintOf, MAX_IDEMPOTENCY_KEY_LENGTH } from "./idempotency.ts";
import type { Reply } from "./reply.ts";
import { validity } from "./tokens.ts";

const PREFIX = "/ipospays";

/** The codes, their messages as published, and the status the emulator sends them with. */
const ERRORS = {
  AUTH_ERR_001: [400, "API Key is required."],
  AUTH_ERR_002: [400, "Secret Key is required."],
  AUTH_ERR_003: [400, "Scope is required."],
  AUTH_ERR_004: [401, "Invalid Credentials, Please Contact Support Team."],
  AUTH_ERR_005: [403, "Invalid scope provided. Please use a valid scope."],
  AUTH_ERR_006: [401, "Invalid Token, Please try with a Valid Token."],
  AUTH_ERR_007: [401, "Invalid Token, Please try with a Valid Token."],
  AUTH_ERR_008: [401, "Invalid Signature."],
  AUTH_ERR_009: [400, "Refresh Token needs to be true in the Header."],
  AUTH_ERR_011: [400, "Minimum expiry time cannot be less than 30 minutes."],
  AUTH_ERR_012: [400, "Maximum expiry time cannot be more than 24 hours."],
} as const satisfies Record<string, readonly [number, string]>;

type ErrorCode = keyof typeof ERRORS;

function refuse(code: ErrorCode): Reply {
  const [status, errorMessage] = ERRORS[code];
  return { status, json: { errorCode: code, errorMessage } };
}

/** Scopes by key level; `CardLookUp` is a known name that no level may ask for. */
export const SCOPES_BY_LEVEL: Record<"merchant" | "iso" | "agent", readonly string[]> = {
  merchant: ["PaymentTokenization", "Recurring", "BatchReport"],
  iso: ["PaymentTokenization", "Recurring", "BatchReport", "ExternalApi"],
  agent: ["ExternalApi"],
};

const MIN_MINUTES = 30;
const MAX_MINUTES = 1440;
const DEFAULT_LIFETIME_SECONDS = 24 * 3600;
/**
 * The JWT's `scope` claim per scope name. PROVIDERS.md §1 (corrected 2026-12-01): the claim is
 * not the name — the seed's PaymentTokenization token carries `paymentTokenize`. The others are
 * undocumented; the emulator gives them a name of the same shape, so nothing may rely on
 * claim = name.
 */
export const SCOPE_CLAIMS: Record<string, string> = {
  PaymentTokenization: "paymentTokenize",
  Recurring: "recurring",
  BatchReport: "batchReport",
  ExternalApi: "externalApi",
};
/** Transact takes the PaymentTokenization token, recognised by its claim. */
const TRANSACT_CLAIM = "paymentTokenize";

function scopeOfClaim(claim: string): string | undefined {
  return Object.keys(SCOPE_CLAIMS).find((scope) => SCOPE_CLAIMS[scope] === claim);
}

/** A header's value, or `undefined` when it is absent or blank. */
function header(request: Request, name: string): string | undefined {
  const value = request.headers.get(name)?.trim();
  return value === undefined || value === "" ? undefined : value;
}

const uniqueIdOf = (_header: ProtectedHeaderParameters, claims: Record<string, unknown>) =>
  claims.uniqueId;

async function issue(context: EndpointContext, scope: string, lifetime: number): Promise<Reply> {
  const { iat, exp } = validity(context.now, lifetime, context.fault("expired_tokens"));
  const uniqueId = crypto.randomUUID();
  const claim = SCOPE_CLAIMS[scope] ?? scope;
  const token = await context.sign({ alg: "RS256" }, { scope: claim, uniqueId, iat, exp });
  if (context.live) context.ledger.recordIssued(uniqueId, "ipospays");
  return {
    status: 200,
    json: {
      responseCode: "00",
      responseMessage: "Success",
      createdDt: String(context.now),
      token,
    },
  };
}

async function generate(request: Request, context: EndpointContext): Promise<Reply> {
  // Headers only: credentials sent in a body are not seen, so such a request is AUTH_ERR_001.
  const apiKey = header(request, "apiKey");
  if (apiKey === undefined) return refuse("AUTH_ERR_001");
  const secretKey = header(request, "secretKey");
  if (secretKey === undefined) return refuse("AUTH_ERR_002");
  const scope = header(request, "scope");
  if (scope === undefined) return refuse("AUTH_ERR_003");
  // The Transact guide spells it jwtTokenExpiryMinutes, hosted-page integrations TokenExpiryMinutes.
  const expiry = header(request, "jwtTokenExpiryMinutes") ?? header(request, "TokenExpiryMinutes");
  let lifetime = DEFAULT_LIFETIME_SECONDS;
  if (expiry !== undefined) {
    const minutes = /^-?\d+$/.test(expiry) ? Number(expiry) : Number.NaN;
    if (Number.isNaN(minutes) || minutes < MIN_MINUTES) return refuse("AUTH_ERR_011");
    if (minutes > MAX_MINUTES) return refuse("AUTH_ERR_012");
    lifetime = minutes * 60;
  }
  const account = context.accounts.ipospays.find((candidate) => candidate.apiKey === apiKey);
  if (account === undefined || account.secretKey !== secretKey) return refuse("AUTH_ERR_004");
  if (!SCOPES_BY_LEVEL[account.level].includes(scope)) return refuse("AUTH_ERR_005");
  return issue(context, scope, lifetime);
}

async function refresh(request: Request, context: EndpointContext): Promise<Reply> {
  if (header(request, "refreshToken")?.toLowerCase() !== "true") return refuse("AUTH_ERR_009");
  const inspection = await context.inspect(header(request, "token") ?? null, uniqueIdOf);
  if (!inspection.ok) {
    switch (inspection.problem) {
      case "signature":
        return refuse("AUTH_ERR_008");
      case "expired":
        return refuse("AUTH_ERR_007");
      default:
        return refuse("AUTH_ERR_006");
    }
  }
  const { scope: claim, iat, exp } = inspection.claims;
  const scope = typeof claim === "string" ? scopeOfClaim(claim) : undefined;
  if (scope === undefined) return refuse("AUTH_ERR_006");
  // A reissue with the lifetime the original was asked for; the old token stays valid.
  return issue(context, scope, exp - iat);
}

/** The `amount` of a Transact body, when it has one where Transact v3 puts it. */
function amountOf(text: string | undefined): string | number | undefined {
  if (text === undefined) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof body !== "object" || body === null) return undefined;
  const nested = "transactionRequest" in body ? body.transactionRequest : undefined;
  const amount =
    "amount" in body
      ? body.amount
      : typeof nested === "object" && nested !== null && "amount" in nested
        ? nested.amount
        : undefined;
  return typeof amount === "string" || typeof amount === "number" ? amount : undefined;
}

/** The same `Idempotency-Key` with another body: the emulator's own code (`idempotency.ts`). */
const keyReused: Reply = {
  status: 422,
  json: {
    errorCode: "IDEMPOTENCY_KEY_REUSED",
    errorMessage: "This Idempotency-Key was used with another request.",
  },
};

async function transact(request: Request, context: EndpointContext): Promise<Reply> {
  // The token header only, no Bearer: an Authorization header alone is no token at all.
  const inspection = await context.inspect(header(request, "token") ?? null, uniqueIdOf);
  if (!inspection.ok) return refuse("AUTH_ERR_006");
  if (inspection.claims.scope !== TRANSACT_CLAIM) return refuse("AUTH_ERR_005");
  const read = await readText(request, MAX_BODY_BYTES);
  const text = "text" in read ? read.text : undefined;
  const key = header(request, "Idempotency-Key");
  if (key !== undefined && key.length > MAX_IDEMPOTENCY_KEY_LENGTH) return badRequest;
  const fingerprint = key === undefined ? undefined : await fingerprintOf(text ?? "");
  // From here to the end nothing awaits: two requests with one key cannot both pay.
  if (key !== undefined && fingerprint !== undefined) {
    const made = context.payments.recall(key, fingerprint, context.now);
    if (made === "reused") return keyReused;
    if (made !== undefined) {
      return { ...made, headers: { ...made.headers, "Idempotent-Replayed": "true" } };
    }
  }
  const amount = amountOf(text);
  const response = {
    responseCode: "200",
    responseMessage: "Successful",
    transactionReferenceId: crypto.randomUUID(),
    ...(amount === undefined ? {} : { amount }),
  };
  const paid: Reply = { status: 200, json: { iposhpresponse: response } };
  if (key !== undefined && fingerprint !== undefined && context.live) {
    context.payments.remember(key, fingerprint, paid, context.now);
  }
  if (context.fault("refresh_required")) {
    return {
      status: 200,
      json: { iposhpresponse: response, AuthenticationRefreshRequired: true },
      headers: { AuthenticationRefreshRequired: "true" },
    };
  }
  return paid;
}

const throttled: Reply = {
  status: 429,
  text: "Too Many Requests",
  contentType: "text/plain; charset=utf-8",
};
/** The `malformed` fault: a success without its token. */
const successWithoutToken = (nowMs: number): Reply => ({
  status: 200,
  json: { responseCode: "00", responseMessage: "Success", createdDt: String(nowMs) },
});
const badRequest: Reply = { status: 400, json: { status: 400, error: "Bad Request" } };

/** The three iPOSpays endpoints, under `/ipospays`. */
export const ipospaysEndpoints: readonly Endpoint[] = [
  {
    provider: "ipospays",
    kind: "token",
    method: "POST",
    path: `${PREFIX}/v1/authenticate-token`,
    handle: generate,
    refusal: refuse("AUTH_ERR_004"),
    malformed: successWithoutToken,
    throttled,
    badRequest,
  },
  {
    provider: "ipospays",
    kind: "refresh",
    method: "POST",
    path: `${PREFIX}/v1/refresh-token`,
    handle: refresh,
    refusal: refuse("AUTH_ERR_006"),
    malformed: successWithoutToken,
    throttled,
    badRequest,
  },
  {
    provider: "ipospays",
    kind: "api",
    method: "POST",
    path: `${PREFIX}/api/v3/iposTransact`,
    handle: transact,
    refusal: refuse("AUTH_ERR_006"),
    malformed: () => ({ status: 200, json: { iposhpresponse: "Successful" } }),
    throttled,
    badRequest,
  },
];
