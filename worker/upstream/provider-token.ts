/**
 * A provider's own token for a client that may have it: the policy (`providerTokens: true`,
 * exactly one scope the client holds, a configured provider), the token from the shared cache,
 * and the audit line. `POST /provider-token` and the RPC entrypoint's `providerToken` both end
 * here, after they have found and counted the client their own way.
 */
import type { ProviderTokenAnswer } from "../../src/broker.ts";
import type { Token, WaitUntil } from "../../src/index.ts";
import { audit } from "../audit.ts";
import { constantTimeEqual } from "../oauth/client-auth.ts";
import type { ClientPolicy } from "../oauth/client-policy.ts";
import { fail, ok, type Result } from "../oauth/failure.ts";
import { type BrokerScope, isBrokerScope, providerOf } from "../oauth/scopes.ts";
import { type ProviderTokens, providerFailure } from "./token-sources.ts";

function complaintAbout(token: Token, refused: string, now: number): Complaint {
  const encoder = new TextEncoder();
  if (!constantTimeEqual(encoder.encode(token.value), encoder.encode(refused))) {
    return "already_renewed";
  }
  return now - token.obtainedAt < COMPLAINT_COOLDOWN_MS ? "cooldown" : "renewed";
}

/** Exactly one known scope. */
export function providerScope(value: string | null): Result<BrokerScope> {
  if (value === null || value.trim() === "") {
    return fail({
      kind: "invalid_request",
      detail: "scope is required: one provider scope, such as ipospays:PaymentTokenization.",
    });
  }
  const scopes = value.split(" ").filter((scope) => scope !== "");
  const [scope] = scopes;
  if (scopes.length !== 1 || scope === undefined) {
    return fail({ kind: "invalid_scope", detail: "Ask for one provider scope per request." });
  }
  if (!isBrokerScope(scope)) {
    return fail({ kind: "invalid_scope", detail: "That is not a provider scope of this broker." });
  }
  return ok(scope);
}

/**
 * A provider token younger than this is not renewed on a caller's word: the new one answers.
 * The caller chooses what it sends upstream, and a 401 to a malformed request says nothing about
 * the token; renewing on every complaint would let one client drive the provider's auth API.
 */
export const COMPLAINT_COOLDOWN_MS = 10_000;

/** What became of a caller's "the provider refused this token". */
export type Complaint =
  /** It was the token the broker holds: dropped, and a new one obtained (or taken from the store). */
  | "renewed"
  /** Not the token the broker holds (renewed already, or never ours): the current one answers. */
  | "already_renewed"
  /** The token the broker holds, but younger than the cooldown: it answers again. */
  | "cooldown";

/** What the caller asks for: a scope, and perhaps the token the provider refused. */
export interface ProviderTokenRequest {
  scope: string | null;
  refused?: string | null | undefined;
}

/**
 * The policy after the caller is known and counted: `providerTokens: true`, exactly one scope
 * the client may have, a configured provider; then the token from the shared cache and its
 * audit line. A caller that says the provider refused its token gets it renewed once for the
 * whole fleet: only the token the broker still holds is dropped (`source.refuse`: the next one
 * comes from the store if another isolate renewed, else from the provider through the lease and
 * the single flight), and not within {@link COMPLAINT_COOLDOWN_MS} of its being obtained. The
 * endpoint and the RPC entrypoint both end here.
 */
export async function providerTokenFor(
  tokens: ProviderTokens,
  client: ClientPolicy,
  request: ProviderTokenRequest,
  at: { now: number; ctx: WaitUntil },
): Promise<Result<ProviderTokenAnswer>> {
  const requested = request.scope;
  if (!client.providerTokens) {
    return fail({
      kind: "unauthorized_client",
      detail: "This client's policy does not allow provider tokens (providerTokens: true).",
    });
  }
  const scope = providerScope(requested);
  if (!scope.ok) return scope;
  if (!client.scopes.includes(scope.value)) {
    return fail({ kind: "invalid_scope", detail: "This client may not have that scope." });
  }
  const provider = providerOf(scope.value);
  const source = tokens.source(scope.value);
  if (source === undefined) return fail({ kind: "provider_not_configured", provider });
  const refused = request.refused ?? "";
  let token: Token;
  let complaint: Complaint | undefined;
  try {
    token = await source.get({ ctx: at.ctx });
    if (refused !== "") {
      complaint = complaintAbout(token, refused, at.now);
      if (complaint === "renewed") {
        source.refuse(token);
        token = await source.get({ ctx: at.ctx });
      }
    }
  } catch (error) {
    return fail(providerFailure(provider, error, { now: at.now, failures: tokens.failures }));
  }
  audit(
    {
      event: "provider_token",
      client_id: client.id,
      scope: scope.value,
      exp: Math.floor(token.expiresAt / 1000),
      complaint,
    },
    at.now,
    at.ctx,
  );
  const apply = tokens.placement(scope.value);
  return ok({
    access_token: token.value,
    token_type: apply.prefix === "Bearer " ? "Bearer" : "N_A",
    expires_in: Math.max(0, Math.floor((token.expiresAt - at.now) / 1000)),
    scope: scope.value,
    apply,
  });
}
