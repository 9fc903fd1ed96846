/**
 * A provider's own token for a client that may have it: the policy (`providerTokens: true`,
 * exactly one scope the client holds, a configured provider), the token from the shared cache,
 * and the audit line. `POST /provider-token` and the RPC entrypoint's `providerToken` both end
 * here, after they have found and counted the client their own way.
 */
import type { Token, TokenPlacement, WaitUntil } from "../../src/index.ts";
import { audit } from "../audit.ts";
import type { ClientPolicy } from "../oauth/client-policy.ts";
import { fail, ok, type Result } from "../oauth/failure.ts";
import { type BrokerScope, isBrokerScope, providerOf } from "../oauth/scopes.ts";
import { type ProviderTokens, providerFailure } from "./token-sources.ts";

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

/** What `/provider-token` answers, and the RPC entrypoint's `providerToken` returns. */
export interface ProviderTokenAnswer {
  access_token: string;
  /** RFC 8693 §2.2.1: "N_A" where the token is not used with the Bearer scheme (iPOSpays). */
  token_type: "Bearer" | "N_A";
  expires_in: number;
  scope: BrokerScope;
  apply: TokenPlacement;
}

/**
 * The policy after the caller is known and counted: `providerTokens: true`, exactly one scope
 * the client may have, a configured provider; then the token from the shared cache and its
 * audit line. The endpoint and the RPC entrypoint both end here.
 */
export async function providerTokenFor(
  tokens: ProviderTokens,
  client: ClientPolicy,
  requested: string | null,
  at: { now: number; ctx: WaitUntil },
): Promise<Result<ProviderTokenAnswer>> {
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
  let token: Token;
  try {
    token = await source.get({ ctx: at.ctx });
  } catch (error) {
    return fail(providerFailure(provider, error, { now: at.now, failures: tokens.failures }));
  }
  audit(
    {
      event: "provider_token",
      client_id: client.id,
      scope: scope.value,
      exp: Math.floor(token.expiresAt / 1000),
    },
    at.now,
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
