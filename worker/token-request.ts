/**
 * What a token request earns: its grant type, who is asking — the client its credentials name,
 * or, for an exchange without them, the holder of the subject token — and the grant the OAuth
 * rules (`oauth/grants.ts`) give that client for these parameters.
 */
import { clientByCredentials, verifyToken } from "./caller.ts";
import type { Call } from "./context.ts";
import type { ClientPolicy } from "./oauth/client-policy.ts";
import { fail, type Result } from "./oauth/failure.ts";
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
  const subject = await verifyToken(call, form.get("subject_token") ?? "");
  if (!subject.ok) return fail({ kind: "invalid_grant" });
  let client = authenticated;
  if (client === undefined) {
    const holder = call.state.config.clients.get(subject.value.client_id);
    if (holder === undefined) return fail({ kind: "invalid_grant" });
    const counted = await countRequest(call, holder);
    if (!counted.ok) return counted;
    client = counted.value;
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
