/**
 * What a caller may have: pure functions of the request's parameters, the client's policy and
 * the clock. No I/O, no `Date.now()`: every input is passed in, every refusal is a tagged
 * {@link Failure}. A grant only ever narrows — scope and lifetime are each the smallest of what
 * was asked and what every party allows, and an exchange keeps its subject's audience.
 */
import type { ClientPolicy } from "./client-policy.ts";
import { fail, ok, type Result } from "./failure.ts";
import { type BrokerScope, isBrokerScope } from "./scopes.ts";

/** A broker token's life when the request does not ask for less (issue 5: five minutes). */
export const DEFAULT_LIFETIME_SECONDS = 300;

/** What a token will say: who, what, for whom, how long. */
export interface Grant {
  /** `sub`: the client the token was first issued to. */
  subject: string;
  /** `client_id`: the client this token is issued to now. */
  clientId: string;
  scopes: readonly BrokerScope[];
  audience: string;
  lifetime: number;
  /** RFC 8693 §4.1 `act`: the client that exchanged someone else's token (`sub` is not it). */
  actor?: string;
  /**
   * For an exchanged token: the `jti` of the token at the root of its exchanges (the one issued
   * by `client_credentials`), so revoking that token revokes every token exchanged from it.
   */
  rootJti?: string;
  /** For an exchanged token: its ancestors' `jti`s between the root and itself, oldest first. */
  chain?: readonly string[];
}

/** The claims of a verified subject token that an exchange may narrow. */
export interface SubjectClaims {
  sub: string;
  client_id: string;
  scope: string;
  aud: string;
  exp: number;
  jti: string;
  /** Present when the subject token was itself exchanged. */
  root_jti?: string | undefined;
  /** Present when the subject token was exchanged from an exchanged token. */
  chain?: readonly string[] | undefined;
}

/**
 * How many exchanges deep a token may be: its lineage travels in it (23 bytes a generation) and
 * costs one revocation lookup a generation when it is verified, so it is bounded.
 */
export const MAX_CHAIN = 8;

export const GRANT_CLIENT_CREDENTIALS = "client_credentials";
export const GRANT_TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
export const TOKEN_TYPE_ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token";
const TOKEN_TYPE_JWT = "urn:ietf:params:oauth:token-type:jwt";

/** RFC 6749 §3.3 scope-token characters. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * The `scope` parameter as a list; `undefined` when absent (the caller then gets everything it
 * may have). An empty or malformed value is `invalid_scope`.
 */
export function requestedScopes(value: string | null): Result<readonly string[] | undefined> {
  if (value === null) return ok(undefined);
  const scopes = value.split(" ").filter((scope) => scope !== "");
  if (scopes.length === 0) return fail({ kind: "invalid_scope", detail: "The scope is empty." });
  if (!scopes.every((scope) => SCOPE_TOKEN.test(scope))) {
    return fail({ kind: "invalid_scope", detail: "The scope is malformed." });
  }
  return ok(scopes);
}

/**
 * The scopes granted: those of `allowed`, in its order, that were requested (all of them when
 * nothing was) and that every one of `alsoWithin` holds. Nothing left is `invalid_scope`.
 */
export function grantScopes(
  requested: readonly string[] | undefined,
  allowed: readonly BrokerScope[],
  ...alsoWithin: readonly (readonly string[])[]
): Result<readonly BrokerScope[]> {
  const granted = allowed.filter(
    (scope) =>
      (requested === undefined || requested.includes(scope)) &&
      alsoWithin.every((set) => set.includes(scope)),
  );
  if (granted.length === 0) {
    return fail({
      kind: "invalid_scope",
      detail: "None of the requested scopes may be granted to this client.",
    });
  }
  return ok(granted);
}

/** RFC 8707: the `resource` (or RFC 8693 `audience`) if allowed; the default when absent. */
export function chooseAudience(
  resource: string | null,
  allowed: readonly string[],
  fallback: string,
): Result<string> {
  if (resource === null) return ok(fallback);
  return allowed.includes(resource) ? ok(resource) : fail({ kind: "invalid_target" });
}

/**
 * The lifetime in seconds: the requested `expires_in` (a non-standard way to ask for less),
 * else the default, capped by the policy. Asking for more than the cap is not an error: the
 * response's `expires_in` says what was granted.
 */
export function chooseLifetime(requested: string | null, cap: number): Result<number> {
  if (requested === null) return ok(Math.min(DEFAULT_LIFETIME_SECONDS, cap));
  if (!/^[1-9]\d{0,8}$/.test(requested)) {
    return fail({
      kind: "invalid_request",
      detail: "expires_in must be a positive whole number of seconds.",
    });
  }
  return ok(Math.min(Number(requested), cap));
}

/** RFC 6749 §4.4: the client's own scopes, audiences and lifetime, narrowed by the request. */
export function clientCredentialsGrant(
  params: URLSearchParams,
  client: ClientPolicy,
): Result<Grant> {
  const requested = requestedScopes(params.get("scope"));
  if (!requested.ok) return requested;
  const scopes = grantScopes(requested.value, client.scopes);
  if (!scopes.ok) return scopes;
  const audience = chooseAudience(params.get("resource"), client.audiences, client.audiences[0]);
  if (!audience.ok) return audience;
  const lifetime = chooseLifetime(params.get("expires_in"), client.maxLifetime);
  if (!lifetime.ok) return lifetime;
  return ok({
    subject: client.id,
    clientId: client.id,
    scopes: scopes.value,
    audience: audience.value,
    lifetime: lifetime.value,
  });
}

/** The RFC 8693 parameters this broker does not take, or takes only in one form. */
export function checkExchangeParameters(params: URLSearchParams): Result<void> {
  const subjectType = params.get("subject_token_type");
  if (params.get("subject_token") === null || subjectType === null) {
    return fail({
      kind: "invalid_request",
      detail: "subject_token and subject_token_type are required.",
    });
  }
  if (subjectType !== TOKEN_TYPE_ACCESS_TOKEN && subjectType !== TOKEN_TYPE_JWT) {
    return fail({
      kind: "invalid_request",
      detail: `subject_token_type must be ${TOKEN_TYPE_ACCESS_TOKEN}.`,
    });
  }
  const requestedType = params.get("requested_token_type");
  if (
    requestedType !== null &&
    requestedType !== TOKEN_TYPE_ACCESS_TOKEN &&
    requestedType !== TOKEN_TYPE_JWT
  ) {
    return fail({
      kind: "invalid_request",
      detail: `requested_token_type must be ${TOKEN_TYPE_ACCESS_TOKEN}.`,
    });
  }
  if (params.has("actor_token") || params.has("actor_token_type")) {
    return fail({ kind: "invalid_request", detail: "actor_token is not supported." });
  }
  if (params.has("resource") && params.has("audience")) {
    return fail({ kind: "invalid_request", detail: "Give resource or audience, not both." });
  }
  return ok(undefined);
}

/**
 * The audience an exchanged token may have: the subject token's own, and only while the
 * exchanging client may have it too. An exchange never re-targets a token: possession of a token
 * for `https://payments.example` must not become a token for the broker's proxy, and a client
 * narrowing someone else's token gets no audience of its own into it. (A client that wants a
 * token for another of its audiences asks for one with its credentials: `client_credentials`.)
 */
export function exchangeAudience(
  requested: string | null,
  client: ClientPolicy,
  subject: SubjectClaims,
): Result<string> {
  if (!client.audiences.includes(subject.aud)) return fail({ kind: "invalid_target" });
  return chooseAudience(requested, [subject.aud], subject.aud);
}

/**
 * RFC 8693 token exchange as downscoping only: the new token's scope lies within the subject
 * token's and the client's, its audience is the subject's (`exchangeAudience`), and it expires no
 * later than the subject token. `params` must have passed {@link checkExchangeParameters}; the
 * token endpoint runs it before it verifies the subject token. `client` is the authenticated
 * client, or the subject token's own client when possession of the token is the credential.
 */
export function tokenExchangeGrant(
  params: URLSearchParams,
  client: ClientPolicy,
  subject: SubjectClaims,
  nowSeconds: number,
): Result<Grant> {
  const requested = requestedScopes(params.get("scope"));
  if (!requested.ok) return requested;
  const subjectScopes = subject.scope.split(" ").filter(isBrokerScope);
  const scopes = grantScopes(requested.value, client.scopes, subjectScopes);
  if (!scopes.ok) return scopes;
  const audience = exchangeAudience(
    params.get("resource") ?? params.get("audience"),
    client,
    subject,
  );
  if (!audience.ok) return audience;
  const remaining = subject.exp - nowSeconds;
  if (remaining < 1) return fail({ kind: "invalid_grant" });
  const lifetime = chooseLifetime(
    params.get("expires_in"),
    Math.min(client.maxLifetime, remaining),
  );
  if (!lifetime.ok) return lifetime;
  // The whole lineage goes into the new token, so revoking any ancestor reaches it.
  const chain = subject.root_jti === undefined ? [] : [...(subject.chain ?? []), subject.jti];
  if (chain.length > MAX_CHAIN) {
    return fail({ kind: "invalid_request", detail: "This token has been exchanged too often." });
  }
  return ok({
    subject: subject.sub,
    clientId: client.id,
    scopes: scopes.value,
    audience: audience.value,
    lifetime: lifetime.value,
    rootJti: subject.root_jti ?? subject.jti,
    ...(chain.length === 0 ? {} : { chain }),
    // Whoever is not the subject acts for it, also when it narrows a token it was given by
    // exchange earlier (its client_id is then its own, but its sub is not).
    ...(client.id === subject.sub ? {} : { actor: client.id }),
  });
}
