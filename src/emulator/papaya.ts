/**
 * Papaya Global Workforce Payments: obtain a token, and `GET /v1/payments` as the protected
 * endpoint (the project's choice). PROVIDERS.md §3: no refresh endpoint; every refusal is
 * `{"error":"Invalid request"}`.
 */
import * as v from "valibot";
import { bearerToken } from "./bearer.ts";
import { readJsonBody } from "./body.ts";
import type { Endpoint, EndpointContext } from "./endpoint.ts";
import { KEY_ID } from "./keys.ts";
import type { Reply } from "./reply.ts";
import { validity } from "./tokens.ts";

const PREFIX = "/papaya";
const DEFAULT_EXPIRATION_SECONDS = 86_400;
/** Not documented; a bound that keeps every date valid and every lifetime plausible. */
const MAX_EXPIRATION_SECONDS = 365 * 86_400;

const ObtainBody = v.object({
  api_key: v.pipe(v.string(), v.nonEmpty()),
  client_secret: v.pipe(v.string(), v.nonEmpty()),
  token_name: v.exactOptional(v.pipe(v.string(), v.nonEmpty(), v.maxLength(256))),
  expiration: v.exactOptional(
    v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_EXPIRATION_SECONDS)),
  ),
});

const invalidRequest = (status: number): Reply => ({ status, json: { error: "Invalid request" } });

/** ISO 8601 floored to the minute, as Papaya prints `valid_until`: `2024-07-11T07:48Z`. */
export function toMinute(epochSeconds: number): string {
  const floored = Math.floor(epochSeconds / 60) * 60_000;
  return `${new Date(floored).toISOString().slice(0, 16)}Z`;
}

async function obtain(request: Request, context: EndpointContext): Promise<Reply> {
  const body = await readJsonBody(request, ObtainBody, { requireJsonType: true });
  if (!body.ok) return invalidRequest(400);
  const { api_key, client_secret, token_name, expiration } = body.value;
  const account = context.accounts.papaya.find((candidate) => candidate.apiKey === api_key);
  if (account === undefined || account.clientSecret !== client_secret) return invalidRequest(401);
  const lifetime = expiration ?? DEFAULT_EXPIRATION_SECONDS;
  const { iat, exp } = validity(context.now, lifetime, context.fault("expired_tokens"));
  const apiTokenId = crypto.randomUUID();
  const token = await context.sign(
    { typ: "JWT", kid: KEY_ID, api_token_id: apiTokenId, alg: "RS256" },
    {
      iat,
      exp,
      sub: "access",
      // Shaped like the seed's sample, whose user id is the API key.
      user: {
        id: account.apiKey,
        email: "api-user@example.com",
        owner: { id: "201000", ownerType: "org_id" },
      },
    },
  );
  if (context.live) context.ledger.recordIssued(apiTokenId, "papaya");
  return {
    status: 201,
    json: { valid_until: toMinute(exp), token, token_name: token_name ?? crypto.randomUUID() },
  };
}

async function payments(request: Request, context: EndpointContext): Promise<Reply> {
  // Bearer only, as every Papaya API takes its token.
  const inspection = await context.inspect(bearerToken(request), (header) => header.api_token_id);
  if (!inspection.ok) return invalidRequest(401);
  return { status: 200, json: { payments: [] } };
}

const throttled: Reply = { status: 429, json: { error: "Too many requests" } };

/** The two Papaya endpoints, under `/papaya`. */
export const papayaEndpoints: readonly Endpoint[] = [
  {
    provider: "papaya",
    kind: "token",
    method: "POST",
    path: `${PREFIX}/token`,
    handle: obtain,
    refusal: invalidRequest(401),
    malformed: (nowMs) => ({
      status: 201,
      json: { valid_until: toMinute(nowMs / 1000 + DEFAULT_EXPIRATION_SECONDS), token_name: "x" },
    }),
    throttled,
    badRequest: invalidRequest(400),
  },
  {
    provider: "papaya",
    kind: "api",
    method: "GET",
    path: `${PREFIX}/v1/payments`,
    handle: payments,
    refusal: invalidRequest(401),
    malformed: () => ({ status: 200, json: { payments: "none" } }),
    throttled,
    badRequest: invalidRequest(400),
  },
];
