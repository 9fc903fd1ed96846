/**
 * `POST /provider-token` with `scope=<one provider scope>`: the provider's own token from the
 * shared cache, for trusted server-side clients whose policy sets `providerTokens: true`. The
 * caller authenticates with its client credentials or with a broker token (audience
 * `BROKER_AUDIENCE`) that carries the scope. The answer says how to attach the token.
 */
import type { Token } from "../src/index.ts";
import { audit } from "./audit.ts";
import { readForm } from "./body.ts";
import { clientByCredentials, clientByToken, hasBearerScheme } from "./caller.ts";
import type { ClientPolicy } from "./config.ts";
import type { Call } from "./context.ts";
import { type Failure, fail, ok, type Result } from "./failure.ts";
import { APPLICATION, providerFailure } from "./provider-tokens.ts";
import { type BrokerScope, isBrokerScope, providerOf } from "./scopes.ts";
import { NO_STORE } from "./token-endpoint.ts";

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

/** The caller and the scopes it holds: its token's when it sent one, its policy's otherwise. */
async function caller(
  call: Call,
  form: URLSearchParams,
): Promise<Result<{ client: ClientPolicy; held: readonly string[]; byToken: boolean }>> {
  if (hasBearerScheme(call.request)) {
    if (form.has("client_secret")) {
      return fail({
        kind: "invalid_request",
        detail: "Send a bearer token or client credentials, not both.",
      });
    }
    const found = await clientByToken(call, call.state.config.audience);
    if (!found.ok) return found;
    return ok({
      client: found.value.client,
      held: found.value.claims.scope.split(" "),
      byToken: true,
    });
  }
  const client = await clientByCredentials(call, form);
  if (!client.ok) return client;
  return ok({ client: client.value, held: client.value.scopes, byToken: false });
}

export async function providerTokenEndpoint(call: Call): Promise<Response | Failure> {
  const form = await readForm(call.request);
  if (!form.ok) return form.failure;
  const found = await caller(call, form.value);
  if (!found.ok) return found.failure;
  const { client, held, byToken } = found.value;
  if (!client.providerTokens) {
    return {
      kind: "unauthorized_client",
      detail: "This client's policy does not allow provider tokens (providerTokens: true).",
    };
  }
  const scope = providerScope(form.value.get("scope"));
  if (!scope.ok) return scope.failure;
  if (!held.includes(scope.value) || !client.scopes.includes(scope.value)) {
    return byToken
      ? { kind: "insufficient_scope", scope: scope.value }
      : { kind: "invalid_scope", detail: "This client may not have that scope." };
  }
  const provider = providerOf(scope.value);
  const source = call.state.providers.source(scope.value);
  if (source === undefined) return { kind: "provider_not_configured", provider };
  let token: Token;
  try {
    token = await source.get({ ctx: call.ctx });
  } catch (error) {
    return providerFailure(provider, error);
  }
  audit(
    {
      event: "provider_token",
      client_id: client.id,
      scope: scope.value,
      exp: Math.floor(token.expiresAt / 1000),
    },
    call.now,
  );
  const bearer = APPLICATION[provider].prefix === "Bearer ";
  return Response.json(
    {
      access_token: token.value,
      // RFC 8693 §2.2.1: "N_A" where the token is not used with the Bearer scheme (iPOSpays).
      token_type: bearer ? "Bearer" : "N_A",
      expires_in: Math.max(0, Math.floor((token.expiresAt - call.now) / 1000)),
      scope: scope.value,
      apply: APPLICATION[provider],
    },
    { headers: NO_STORE },
  );
}
