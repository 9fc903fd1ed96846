/**
 * What a token request earns: its grant type, who is asking — the client its credentials name,
 * or, for an exchange without them, the holder of the subject token — and the grant the OAuth
 * rules (`oauth/grants.ts`) give that client for these parameters.
 */
import { refusal } from "./audit.ts";
import { clientByCredentials, failedAttempt, sourceRefused, verifyToken } from "./caller.ts";
import type { Call } from "./context.ts";
import type { ClientPolicy } from "./oauth/client-policy.ts";
import { type Failure, fail, type Result } from "./oauth/failure.ts";
import {
  checkExchangeParameters,
  clientCredentialsGrant,
  GRANT_CLIENT_CREDENTIALS,
  GRANT_TOKEN_EXCHANGE,
  type Grant,
  tokenExchangeGrant,
} from "./oauth/grants.ts";
import { presentsCredentials } from "./oauth/presented-credentials.ts";
import { countRequest } from "./rate-limit.ts";

interface Exchanged {
  grant: Grant;
  subjectJti: string;
}

/**
 * RFC 8693 as downscoping. With client credentials, the authenticated client narrows a token it
 * holds (and is named as the actor when the token's subject is another client). Without them,
 * possession of the subject token is the credential — narrowing cannot grant anything the holder
 * does not already have: scope and lifetime only shrink and the audience stays the subject's —
 * and the token's own client is the client (RFC 8693 §2.1 leaves unauthenticated clients to the
 * deployment). The parameters are checked here, once, before the subject token is verified.
 */
async function exchange(
  call: Call,
  form: URLSearchParams,
  authenticated: ClientPolicy | undefined,
): Promise<Result<Exchanged>> {
  const checked = checkExchangeParameters(form);
  if (!checked.ok) return checked;
  // Without credentials the subject token is the credential: a source that has failed too
  // often is refused before its signature is checked, and a failure spends that source's budget.
  if (authenticated === undefined) {
    const refused = sourceRefused(call);
    if (refused !== undefined) return fail(refused);
  }
  const subject = await verifyToken(call, form.get("subject_token") ?? "");
  const holder = subject.ok ? call.state.config.clients.get(subject.value.client_id) : undefined;
  const client = authenticated ?? holder;
  if (!subject.ok || client === undefined) {
    const line = {
      event: "token_refused" as const,
      reason: subject.ok ? "unknown client" : subject.failure,
    };
    const invalid: Failure = { kind: "invalid_grant" };
    // An authenticated client has spent its own budget on this request already.
    if (authenticated === undefined) return fail(await failedAttempt(call, invalid, line));
    refusal({ ...line, path: call.url.pathname, client_id: authenticated.id }, call.now);
    return fail(invalid);
  }
  if (authenticated === undefined) {
    const counted = await countRequest(call, client);
    if (!counted.ok) return counted;
  }
  const grant = tokenExchangeGrant(form, client, subject.value, Math.floor(call.now / 1000));
  if (!grant.ok) return grant;
  return { ok: true, value: { grant: grant.value, subjectJti: subject.value.jti } };
}

/** The grant a request earns, after whatever client authentication its grant type needs. */
export async function tokenRequestGrant(
  call: Call,
  form: URLSearchParams,
): Promise<Result<{ grant: Grant; subjectJti?: string }>> {
  const grantType = form.get("grant_type");
  if (grantType === GRANT_TOKEN_EXCHANGE && !presentsCredentials(call.request, form)) {
    return exchange(call, form, undefined);
  }
  const client = await clientByCredentials(call, form);
  if (!client.ok) return client;
  switch (grantType) {
    case null:
      return fail({ kind: "invalid_request", detail: "grant_type is required." });
    case GRANT_CLIENT_CREDENTIALS: {
      const granted = clientCredentialsGrant(form, client.value);
      return granted.ok ? { ok: true, value: { grant: granted.value } } : granted;
    }
    case GRANT_TOKEN_EXCHANGE:
      return exchange(call, form, client.value);
    default:
      return fail({ kind: "unsupported_grant_type" });
  }
}
