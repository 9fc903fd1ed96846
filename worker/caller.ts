/**
 * Who is calling: a client by its credentials (token, revocation, introspection, provider-token
 * endpoints) or by a broker token it holds (the proxy, an exchange without credentials). Only a
 * caller that proved who it is spends its client's budget; every failure — wrong secret, unknown
 * id, a token that does not verify — spends its source's failure budget instead, and a source
 * that has failed too often is refused before anything is compared (`rate-limit.ts`).
 */
import { refusal } from "./audit.ts";
import type { Call } from "./context.ts";
import { readForm } from "./http/body.ts";
import { authenticateClient } from "./oauth/client-auth.ts";
import type { ClientPolicy } from "./oauth/client-policy.ts";
import { type Failure, fail, ok, type Result } from "./oauth/failure.ts";
import {
  addressOf,
  bearerToken,
  hasBearerScheme,
  presentedCredentials,
} from "./oauth/presented-credentials.ts";
import { countRequest, FAILED_ATTEMPTS, failuresFrom } from "./rate-limit.ts";
import type { AccessTokenClaims } from "./tokens/claims.ts";
import { type Verification, verifyAccessToken } from "./tokens/verify.ts";

/**
 * Checks a token of ours; `audience` when the endpoint is a resource with one, else any audience
 * the broker issues tokens for (introspection, revocation, exchange) — never just any.
 */
export async function verifyToken(
  call: Call,
  token: string,
  audience?: string,
): Promise<Verification> {
  const { keys, revocations, config } = call.state;
  return verifyAccessToken(token, {
    keys: await keys.current(call.now),
    issuer: call.issuer,
    audience: audience ?? [...config.allAudiences],
    now: call.now,
    isRevoked: (jti) => revocations.isRevoked(jti, call.now),
  });
}

/**
 * `rate_limited` when the request's source has failed too often and must wait: checked before a
 * secret is compared or a signature checked, so failures cost a bounded amount of work.
 */
export function sourceRefused(call: Call): Failure | undefined {
  return call.state.limits.refused(failuresFrom(addressOf(call.request)), call.now);
}

/**
 * A failed attempt: its audit line, and one of its source's failure budget. The answer is
 * `failure` — or `rate_limited` once the source has failed too often — whatever id was named.
 */
export async function failedAttempt(
  call: Call,
  failure: Failure,
  line: { event: "auth_failed" | "token_refused"; client_id?: string; reason?: string },
): Promise<Failure> {
  const source = addressOf(call.request);
  refusal({ ...line, path: call.url.pathname, source }, call.now);
  const limited = await call.state.limits.take(failuresFrom(source), FAILED_ATTEMPTS, call.now);
  return limited ?? failure;
}

/**
 * The client whose credentials the request carries (RFC 6749 §2.3.1). A source that has failed
 * too often is refused first; then the secret is compared — the same work for an unknown id as
 * for a known one (`oauth/client-auth.ts`) — and a failure, for either, spends the source's
 * failure budget, never the named client's. Only a verified client spends its own budget.
 */
export async function clientByCredentials(
  call: Call,
  form: URLSearchParams,
): Promise<Result<ClientPolicy>> {
  // A source that failed too often is refused before anything it presents is looked at.
  const refused = sourceRefused(call);
  if (refused !== undefined) return fail(refused);
  const presented = presentedCredentials(call.request.headers.get("authorization"), form);
  if (!presented.ok) {
    if (presented.failure.kind !== "invalid_client") return presented;
    return fail(await failedAttempt(call, presented.failure, { event: "auth_failed" }));
  }
  const { clients } = call.state.config;
  const client = await authenticateClient(presented.value, clients);
  if (!client.ok) {
    // Only a configured id is logged: an id that names no client may be a misplaced secret.
    const named = clients.has(presented.value.id) ? presented.value.id : undefined;
    return fail(
      await failedAttempt(call, client.failure, {
        event: "auth_failed",
        ...(named === undefined ? {} : { client_id: named }),
      }),
    );
  }
  return countRequest(call, client.value);
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

/**
 * The caller of a protected endpoint: a live broker token for `audience`, its client, counted. A
 * token that does not verify is a failed attempt of its source (and its audit line).
 */
export async function clientByToken(
  call: Call,
  audience: string,
): Promise<Result<{ client: ClientPolicy; claims: AccessTokenClaims }>> {
  if (!hasBearerScheme(call.request)) return fail({ kind: "missing_token" });
  const refused = sourceRefused(call);
  if (refused !== undefined) return fail(refused);
  const token = bearerToken(call.request);
  const verified: Verification =
    token === null ? { ok: false, failure: "malformed" } : await verifyToken(call, token, audience);
  // A client removed from the configuration loses its live tokens at once.
  const client = verified.ok ? call.state.config.clients.get(verified.value.client_id) : undefined;
  if (!verified.ok || client === undefined) {
    const reason = verified.ok ? "unknown client" : verified.failure;
    return fail(
      await failedAttempt(call, { kind: "invalid_token" }, { event: "token_refused", reason }),
    );
  }
  const limited = await countRequest(call, client);
  if (!limited.ok) return limited;
  return ok({ client, claims: verified.value });
}
