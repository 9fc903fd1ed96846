/**
 * `POST /provider-token` with `scope=<one provider scope>`: the provider's own token from the
 * shared cache, for trusted server-side clients whose policy sets `providerTokens: true`. The
 * caller authenticates with its client credentials (`client_secret_basic` or
 * `client_secret_post`) and nothing else: a broker token — a two-minute page token, a narrowed
 * exchanged one — must never buy the provider's raw token, which lives for hours and opens every
 * path of the provider's API. A bearer token is `invalid_client`. The answer says how to attach
 * the token.
 */
import type { Token } from "../../src/index.ts";
import { audit } from "../audit.ts";
import { clientByCredentials, hasBearerScheme } from "../caller.ts";
import type { ClientPolicy } from "../config/parse.ts";
import type { Call, Moment } from "../context.ts";
import { NO_STORE } from "../endpoints/token.ts";
import { readForm } from "../http/body.ts";
import { type Failure, fail, ok, type Result } from "../oauth/failure.ts";
import { type BrokerScope, isBrokerScope, providerOf } from "../oauth/scopes.ts";
import { APPLICATION, providerFailure, type TokenApplication } from "./token-sources.ts";

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
  apply: TokenApplication;
}

/**
 * The policy after the caller is known and counted: `providerTokens: true`, exactly one scope
 * the client may have, a configured provider; then the token from the shared cache and its
 * audit line. The endpoint and the RPC entrypoint both end here.
 */
export async function providerTokenFor(
  at: Moment,
  client: ClientPolicy,
  requested: string | null,
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
  const source = at.state.providers.source(scope.value);
  if (source === undefined) return fail({ kind: "provider_not_configured", provider });
  let token: Token;
  try {
    token = await source.get({ ctx: at.ctx });
  } catch (error) {
    return fail(providerFailure(provider, error));
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
  const apply = APPLICATION[provider];
  return ok({
    access_token: token.value,
    token_type: apply.prefix === "Bearer " ? "Bearer" : "N_A",
    expires_in: Math.max(0, Math.floor((token.expiresAt - at.now) / 1000)),
    scope: scope.value,
    apply,
  });
}

export async function providerTokenEndpoint(call: Call): Promise<Response | Failure> {
  // Not a client authentication method here: refused before anything else is looked at.
  if (hasBearerScheme(call.request)) return { kind: "invalid_client" };
  const form = await readForm(call.request);
  if (!form.ok) return form.failure;
  const found = await clientByCredentials(call, form.value);
  if (!found.ok) return found.failure;
  const answer = await providerTokenFor(call, found.value, form.value.get("scope"));
  if (!answer.ok) return answer.failure;
  return Response.json(answer.value, { headers: NO_STORE });
}
