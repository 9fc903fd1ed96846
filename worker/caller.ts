/**
 * Who is calling: a client by its credentials (token, revocation, introspection, provider-token
 * endpoints) or by a broker token it holds (the proxy). Credentials are counted against the
 * named client's rate limit before the secret is compared, so wrong secrets spend the budget too;
 * a token's client is counted once the token verifies.
 */
import type { Call } from "./context.ts";
import { readForm } from "./http/body.ts";
import { authenticateClient } from "./oauth/client-auth.ts";
import type { ClientPolicy } from "./oauth/client-policy.ts";
import { fail, ok, type Result } from "./oauth/failure.ts";
import {
  bearerToken,
  hasBearerScheme,
  presentedCredentials,
} from "./oauth/presented-credentials.ts";
import { countRequest, takeRateLimit, UNKNOWN_CLIENTS } from "./rate-limit.ts";
import type { AccessTokenClaims } from "./tokens/claims.ts";
import { type Verification, verifyAccessToken } from "./tokens/verify.ts";

/** Checks a token of ours; `audience` when the endpoint is a resource with one. */
export async function verifyToken(
  call: Call,
  token: string,
  audience?: string,
): Promise<Verification> {
  const { keys, revocations } = call.state;
  return verifyAccessToken(token, {
    keys: await keys.current(call.now),
    issuer: call.issuer,
    audience,
    now: call.now,
    isRevoked: (jti) => revocations.isRevoked(jti),
  });
}

/**
 * The client whose credentials the request carries (RFC 6749 §2.3.1). The attempt is counted
 * first, right or wrong, against the named client's limit — so guessing secrets spends the same
 * budget as using them, and once it is spent not even the right secret is compared — or, for an
 * id that names no client, against one shared limiter: the same work, and the same `invalid_client`
 * afterwards for an unknown client as for a wrong secret.
 */
export async function clientByCredentials(
  call: Call,
  form: URLSearchParams,
): Promise<Result<ClientPolicy>> {
  const presented = presentedCredentials(call.request.headers.get("authorization"), form);
  if (!presented.ok) return presented;
  const named = call.state.config.clients.get(presented.value.id);
  const limited = await takeRateLimit(call.state.limiter, named ?? UNKNOWN_CLIENTS, call.now);
  if (limited !== undefined) return fail(limited);
  return authenticateClient(presented.value, call.state.config.clients);
}

/**
 * The start of revocation (RFC 7009 §2.1) and introspection (RFC 7662 §2.1): a form, an
 * authenticated client, and the `token` parameter it asks about.
 */
export async function clientAskingAbout(
  call: Call,
): Promise<Result<{ client: ClientPolicy; token: string }>> {
  const form = await readForm(call.request);
  if (!form.ok) return form;
  const client = await clientByCredentials(call, form.value);
  if (!client.ok) return client;
  const token = form.value.get("token");
  if (token === null || token === "") {
    return fail({ kind: "invalid_request", detail: "token is required." });
  }
  return ok({ client: client.value, token });
}

/** The caller of a protected endpoint: a live broker token for `audience`, its client, counted. */
export async function clientByToken(
  call: Call,
  audience: string,
): Promise<Result<{ client: ClientPolicy; claims: AccessTokenClaims }>> {
  if (!hasBearerScheme(call.request)) return fail({ kind: "missing_token" });
  const token = bearerToken(call.request);
  if (token === null) return fail({ kind: "invalid_token" });
  const verified = await verifyToken(call, token, audience);
  if (!verified.ok) return fail({ kind: "invalid_token" });
  // A client removed from the configuration loses its live tokens at once.
  const client = call.state.config.clients.get(verified.value.client_id);
  if (client === undefined) return fail({ kind: "invalid_token" });
  const limited = await countRequest(call, client);
  if (!limited.ok) return limited;
  return ok({ client, claims: verified.value });
}
