/**
 * The broker over RPC, for Workers bound to it with a service binding (`service.ts`, beside this file). The binding
 * is the credential: the caller's client id comes from the binding's `props`, set by whoever
 * deploys the calling Worker, so no secret is sent or held. Everything after that is the HTTP
 * endpoints' own policy — the same rate limit, `clientCredentialsGrant`, `providerTokenFor`,
 * `issueToken` and audit lines — so the two ways in cannot drift apart.
 *
 * A refusal is a {@link BrokerServiceError} whose `code` is the OAuth error the endpoint would
 * answer (`invalid_scope`, `unauthorized_client`, `rate_limited`, …), with the endpoint's own
 * description: never a token, a secret or anything copied from the call.
 */

import {
  type BrokerServiceProps,
  type BrokerTokenAnswer,
  type BrokerTokenRequest,
  brokerRefusalMessage,
  type ProviderTokenAnswer,
} from "../../src/broker.ts";
import type { Moment } from "../context.ts";
import type { ClientPolicy } from "../oauth/client-policy.ts";
import { type Failure, fail, ok, type Result } from "../oauth/failure.ts";
import { clientCredentialsGrant } from "../oauth/grants.ts";
import { wireError } from "../oauth/wire-errors.ts";
import { countRequest } from "../rate-limit.ts";
import { issueToken } from "../tokens/issue.ts";
import { providerTokenFor } from "../upstream/provider-token.ts";

export type { BrokerServiceProps, BrokerTokenAnswer, BrokerTokenRequest, ProviderTokenAnswer };

/**
 * A refused RPC call. `code` is the OAuth error code; `retryAfterSeconds` is set for
 * `rate_limited` and, when waiting helps, `temporarily_unavailable`. Across a binding only the
 * message arrives: it carries all three (`readBrokerRefusal` in `edgetoken/broker` reads them).
 */
export class BrokerServiceError extends Error {
  override name = "BrokerServiceError";
  readonly code: string;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: string, description: string, retryAfterSeconds?: number) {
    super(brokerRefusalMessage({ code, description, retryAfterSeconds }));
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A failure as the error the caller gets: the same code and description as on the wire. */
export function serviceError(failure: Failure): BrokerServiceError {
  const { body } = wireError(failure);
  const retry =
    failure.kind === "rate_limited" || failure.kind === "provider_unavailable"
      ? failure.retryAfterSeconds
      : undefined;
  return new BrokerServiceError(body.error, body.error_description, retry);
}

/** A call's value, or the {@link BrokerServiceError} its failure is refused with. */
export function answered<T>(answer: Result<T>): T {
  if (answer.ok) return answer.value;
  throw serviceError(answer.failure);
}

const INVALID_CLIENT: Failure = { kind: "invalid_client" };

/**
 * The client the binding names, counted against its rate limit. A missing or unknown id is a
 * deployment mistake, not a guess (props are not the caller's to choose): `invalid_client`.
 */
export async function boundClient(at: Moment, props: unknown): Promise<Result<ClientPolicy>> {
  const clientId = (props as { clientId?: unknown } | null | undefined)?.clientId;
  if (typeof clientId !== "string" || clientId === "") return fail(INVALID_CLIENT);
  const client = at.state.config.clients.get(clientId);
  if (client === undefined) return fail(INVALID_CLIENT);
  return countRequest(at, client);
}

const REQUEST_FIELDS: ReadonlySet<string> = new Set(["scope", "resource", "expiresIn"]);

/**
 * The request as the form `clientCredentialsGrant` reads; wrong types are `invalid_request`,
 * and so is any field but the three: a misspelt `scopes` must not quietly become every scope the
 * client may have, nor a `subject_token` an exchange that did not happen. The field is not named
 * in the answer — its name is the caller's input, and could be anything.
 */
export function grantParameters(request: unknown): Result<URLSearchParams> {
  const given = request ?? {};
  if (typeof given !== "object" || Array.isArray(given)) {
    return fail({ kind: "invalid_request", detail: "The request must be an object." });
  }
  if (Object.keys(given).some((field) => !REQUEST_FIELDS.has(field))) {
    return fail({
      kind: "invalid_request",
      detail: "brokerToken takes scope, resource and expiresIn only.",
    });
  }
  const { scope, resource, expiresIn } = given as Record<string, unknown>;
  const params = new URLSearchParams();
  if (scope !== undefined) {
    if (typeof scope !== "string") {
      return fail({ kind: "invalid_request", detail: "scope must be a string." });
    }
    params.set("scope", scope);
  }
  if (resource !== undefined) {
    if (typeof resource !== "string") {
      return fail({ kind: "invalid_request", detail: "resource must be a string." });
    }
    params.set("resource", resource);
  }
  if (expiresIn !== undefined) {
    if (typeof expiresIn !== "number" || !Number.isSafeInteger(expiresIn)) {
      return fail({
        kind: "invalid_request",
        detail: "expires_in must be a positive whole number of seconds.",
      });
    }
    // `chooseLifetime` then checks it exactly as it checks the form parameter.
    params.set("expires_in", String(expiresIn));
  }
  return ok(params);
}

/**
 * `client_credentials` for the bound client. The token names `ISSUER`: there is no request
 * origin to fall back on, so a broker without one answers `server_error` here.
 */
export async function rpcBrokerToken(
  at: Moment,
  props: unknown,
  request: unknown,
): Promise<Result<BrokerTokenAnswer>> {
  const client = await boundClient(at, props);
  if (!client.ok) return client;
  const issuer = at.state.config.issuer;
  if (issuer === undefined) {
    return fail({
      kind: "misconfigured",
      detail: "ISSUER must be set to issue broker tokens over RPC (there is no request origin)",
    });
  }
  const params = grantParameters(request);
  if (!params.ok) return params;
  const grant = clientCredentialsGrant(params.value, client.value);
  if (!grant.ok) return grant;
  const { access_token, token_type, expires_in, scope } = await issueToken(
    at.state.keys,
    { now: at.now, issuer, ctx: at.ctx },
    grant.value,
  );
  return ok({ access_token, token_type, expires_in, scope });
}

/** A provider token for the bound client: `/provider-token`'s policy, step for step. */
export async function rpcProviderToken(
  at: Moment,
  props: unknown,
  scope: unknown,
  options: unknown,
): Promise<Result<ProviderTokenAnswer>> {
  const client = await boundClient(at, props);
  if (!client.ok) return client;
  if (scope !== undefined && scope !== null && typeof scope !== "string") {
    return fail({ kind: "invalid_request", detail: "scope must be a string." });
  }
  const refused = refusedToken(options);
  if (!refused.ok) return refused;
  return providerTokenFor(
    at.state.providers,
    client.value,
    { scope: scope ?? null, refused: refused.value },
    at,
  );
}

/** `providerToken`'s options: `{ refused?: string }`, or nothing. */
function refusedToken(options: unknown): Result<string | undefined> {
  if (options === undefined || options === null) return ok(undefined);
  if (typeof options !== "object" || Array.isArray(options)) {
    return fail({ kind: "invalid_request", detail: "The options must be an object." });
  }
  const { refused } = options as Record<string, unknown>;
  if (refused !== undefined && typeof refused !== "string") {
    return fail({ kind: "invalid_request", detail: "refused must be a string." });
  }
  return ok(refused);
}
