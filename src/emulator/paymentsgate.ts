/**
 * PaymentsGate: issue, refresh with rotating refresh tokens, and a pay-in as the protected
 * endpoint. PROVIDERS.md §2: errors are `{error, message, statusCode}`.
 */
import * as v from "valibot";
import { bearerToken } from "./bearer.ts";
import { describeBodyProblem, readJsonBody } from "./body.ts";
import type { Endpoint, EndpointContext } from "./endpoint.ts";
import type { Reply } from "./reply.ts";
import { validity } from "./tokens.ts";

const PREFIX = "/paymentsgate";
const LIFETIME_SECONDS = 3600;

const IssueBody = v.object({
  account_id: v.pipe(v.string(), v.uuid()),
  public_key: v.pipe(v.string(), v.nonEmpty()),
});

const RefreshBody = v.object({ refresh_token: v.pipe(v.string(), v.nonEmpty()) });

function failure(status: 400 | 401, message: string): Reply {
  const error = status === 400 ? "Bad Request" : "Unauthorized";
  return { status, json: { error, message, statusCode: status } };
}

const invalidCredentials = failure(401, "Invalid credentials");
const invalidToken = failure(401, "Invalid token");
const invalidRefreshToken = failure(401, "Invalid refresh token");

/** Standard base64 (padded or not) to text; `undefined` when it is not base64 at all. */
function fromBase64(text: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.replace(/=+$/, "").length % 4 === 1) {
    return undefined;
  }
  try {
    const binary = atob(text);
    return new TextDecoder().decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

/** A 32-byte random opaque string, base64url. */
function opaqueToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

const jtiOf = (_header: unknown, claims: Record<string, unknown>) => claims.jti;

async function pair(context: EndpointContext, accountId: string): Promise<Reply> {
  const { iat, exp } = validity(context.now, LIFETIME_SECONDS, context.fault("expired_tokens"));
  const jti = crypto.randomUUID();
  const accessToken = await context.sign(
    { alg: "RS256", typ: "JWT" },
    { sub: accountId, iat, exp, jti },
  );
  const refreshToken = opaqueToken();
  if (context.live) {
    context.ledger.recordIssued(jti, "paymentsgate");
    context.ledger.recordRefreshToken(refreshToken, accountId);
  }
  return {
    status: 200,
    json: { access_token: accessToken, refresh_token: refreshToken, expires_in: LIFETIME_SECONDS },
  };
}

async function issue(request: Request, context: EndpointContext): Promise<Reply> {
  const body = await readJsonBody(request, IssueBody, { requireJsonType: true });
  if (!body.ok) return failure(400, describeBodyProblem(body));
  const pem = fromBase64(body.value.public_key);
  if (pem === undefined) return failure(400, "public_key must be the base64 of the PEM text.");
  const account = context.accounts.paymentsgate.find(
    (candidate) => candidate.accountId.toLowerCase() === body.value.account_id.toLowerCase(),
  );
  if (account === undefined || account.publicKey.trim() !== pem.trim()) return invalidCredentials;
  return pair(context, account.accountId);
}

async function refresh(request: Request, context: EndpointContext): Promise<Reply> {
  // PROVIDERS.md §2 (2026-12-01): the docs send Bearer with the refresh, the vendor's own clients
  // send none. Without it, the refresh token alone names the account; with it, the access token
  // must be ours and intact (it may have expired: that is what refresh is for) and agree.
  const presented = bearerToken(request);
  let sub: string | undefined;
  if (presented !== null) {
    const inspection = await context.inspect(presented, jtiOf);
    const claimed =
      inspection.ok || inspection.problem === "expired" ? inspection.claims?.sub : undefined;
    if (typeof claimed !== "string") return invalidToken;
    sub = claimed;
  } else if (request.headers.has("authorization")) {
    return invalidToken;
  }
  const body = await readJsonBody(request, RefreshBody, { requireJsonType: true });
  if (!body.ok) return failure(400, describeBodyProblem(body));
  const account = context.ledger.accountOfRefreshToken(body.value.refresh_token);
  if (account === undefined || (sub !== undefined && sub !== account)) {
    return invalidRefreshToken;
  }
  // Check and spend in one synchronous step: of two concurrent refreshes, one wins.
  if (!context.ledger.exchangeRefreshToken(body.value.refresh_token, account, context.live)) {
    return invalidRefreshToken;
  }
  return pair(context, account);
}

async function payin(request: Request, context: EndpointContext): Promise<Reply> {
  // Bearer only: a `token` header is not how PaymentsGate takes its token.
  const inspection = await context.inspect(bearerToken(request), jtiOf);
  if (!inspection.ok) return invalidToken;
  return { status: 200, json: { status: "created", id: crypto.randomUUID() } };
}

const throttled: Reply = {
  status: 429,
  json: { error: "Too Many Requests", message: "Too Many Requests", statusCode: 429 },
};
const badRequest = failure(400, "Bad Request");
const malformedPair = (): Reply => ({
  status: 200,
  json: { token_type: "Bearer", expires_in: "3600" },
});

/** The three PaymentsGate endpoints, under `/paymentsgate`. */
export const paymentsgateEndpoints: readonly Endpoint[] = [
  {
    provider: "paymentsgate",
    kind: "token",
    method: "POST",
    path: `${PREFIX}/auth/token`,
    handle: issue,
    refusal: invalidCredentials,
    malformed: malformedPair,
    throttled,
    badRequest,
  },
  {
    provider: "paymentsgate",
    kind: "refresh",
    method: "POST",
    path: `${PREFIX}/auth/token/refresh`,
    handle: refresh,
    refusal: invalidRefreshToken,
    malformed: malformedPair,
    throttled,
    badRequest,
  },
  {
    provider: "paymentsgate",
    kind: "api",
    method: "POST",
    path: `${PREFIX}/deals/payin`,
    handle: payin,
    refusal: invalidToken,
    malformed: () => ({ status: 200, json: { result: "created" } }),
    throttled,
    badRequest,
  },
];
