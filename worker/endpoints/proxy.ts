/**
 * `/proxy/<provider>/<path>`: forwards a request to the provider's API with the provider's token
 * attached the provider's way, when the caller's broker token (audience `BROKER_AUDIENCE`)
 * carries the scope that path needs. Only the paths a scope needs are open (`upstream/proxy-rules.ts`),
 * only a short list of headers crosses in either direction (never the caller's `Authorization`
 * or cookies), and browsers are let in by the client's origin allow-list. Upstream redirects are
 * never followed: following one would send the provider's token wherever `Location` points (a
 * custom header such as iPOSpays' `token` survives even a cross-origin redirect). A 3xx goes back
 * to the caller as it came, without `Location`, which is not among the headers passed back. The
 * call itself — deadline, response cap, redaction of the provider's token, rationed renewals —
 * is `upstream/upstream-call.ts`.
 */
import * as v from "valibot";
import { clientByToken } from "../caller.ts";
import type { Call } from "../context.ts";
import { readCapped } from "../http/body.ts";
import { corsHeaders, isListed, preflightHeaders, withHeaders } from "../http/cors.ts";
import type { Failure } from "../oauth/failure.ts";
import { errorResponse } from "../oauth/wire-errors.ts";
import { findRule, type ProxyRule, splitProxyPath } from "../upstream/proxy-rules.ts";
import { callUpstream } from "../upstream/upstream-call.ts";

/** A payment request is small; anything larger is refused before it is read. */
export const PROXY_LIMIT_BYTES = 64 * 1024;
const MAX_QUERY_LENGTH = 2048;
const REQUEST_HEADERS = [
  "accept",
  "accept-language",
  "content-type",
  "idempotency-key",
  "x-idempotency-key",
  "x-request-id",
];

/**
 * The caller's ids the proxy passes on — idempotency keys and the request id — as the caller is
 * told their names: each checked before it goes upstream.
 */
const ID_HEADERS = {
  "idempotency-key": "Idempotency-Key",
  "x-idempotency-key": "X-Idempotency-Key",
  "x-request-id": "X-Request-Id",
};
/** The longest idempotency key (or request id) passed on. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
/** 1–255 visible ASCII characters: no space, no control character, not two keys joined. */
const IdempotencyKey = v.pipe(v.string(), v.regex(/^[\x21-\x7e]{1,255}$/));

/**
 * A typed 400 for an idempotency key that is not one to pass on, before anything goes upstream:
 * a provider would cut, refuse or ignore a key of kilobytes or of other characters, and a retry
 * that counts on it not paying twice would then count on nothing. A request id follows the same
 * rule (it lands in the provider's logs). The value is not quoted back.
 */
function badIdHeader(headers: Headers): Failure | undefined {
  for (const [name, shown] of Object.entries(ID_HEADERS)) {
    const value = headers.get(name);
    if (value !== null && !v.is(IdempotencyKey, value)) {
      return {
        kind: "invalid_request",
        detail: `${shown} must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters, without spaces, sent once.`,
      };
    }
  }
  return undefined;
}

function pick(headers: Headers, names: readonly string[]): Headers {
  const picked = new Headers();
  for (const name of names) {
    const value = headers.get(name);
    if (value !== null) picked.set(name, value);
  }
  return picked;
}

async function forward(call: Call, rule: ProxyRule, path: string): Promise<Response | Failure> {
  const { request, state } = call;
  const source = state.providers.source(rule.scope);
  const base = state.providers.apiBase(rule.provider);
  if (source === undefined || base === undefined) {
    return { kind: "provider_not_configured", provider: rule.provider };
  }
  let body: Uint8Array | undefined;
  if (request.method !== "GET") {
    const read = await readCapped(request, PROXY_LIMIT_BYTES);
    if (!read.ok) return read.failure;
    body = read.value;
  }
  const url = `${base}${path}${call.url.search}`;
  const headers = pick(request.headers, REQUEST_HEADERS);
  // Built for each send (a replay included) from the bytes already read: no copy kept in case.
  const upstream = (signal: AbortSignal) =>
    new Request(url, {
      method: request.method,
      headers,
      redirect: "manual",
      signal,
      ...(body === undefined ? {} : { body }),
    });
  return callUpstream({
    provider: rule.provider,
    scope: rule.scope,
    source,
    providers: state.providers,
    renewals: state.renewals,
    request: upstream,
    ctx: call.ctx,
    now: call.now,
    timeoutMs: state.proxyTimeoutMs,
  });
}

async function proxied(call: Call): Promise<Response | Failure> {
  const { request, state } = call;
  const split = splitProxyPath(call.url.pathname);
  const rule = split === undefined ? undefined : findRule(split.provider, split.path);
  if (split === undefined || rule === undefined) return { kind: "not_found" };
  if (call.url.search.length > MAX_QUERY_LENGTH) {
    return { kind: "invalid_request", detail: "The query string is too long." };
  }
  const origin = request.headers.get("origin");
  if (request.method === "OPTIONS") {
    if (origin === null || !isListed(origin, state.config.allOrigins)) {
      return { kind: "origin_not_allowed" };
    }
    return new Response(null, { status: 204, headers: preflightHeaders(origin, rule.methods) });
  }
  if (!rule.methods.includes(request.method)) {
    return { kind: "method_not_allowed", allow: [...rule.methods, "OPTIONS"] };
  }
  const key = badIdHeader(request.headers);
  if (key !== undefined) return key;
  const caller = await clientByToken(call, state.config.audience);
  if (!caller.ok) return caller.failure;
  const { client, claims } = caller.value;
  if (origin !== null && !isListed(origin, client.origins)) return { kind: "origin_not_allowed" };
  if (!claims.scope.split(" ").includes(rule.scope)) {
    return { kind: "insufficient_scope", scope: rule.scope };
  }
  return forward(call, rule, split.path);
}

export async function proxyEndpoint(call: Call): Promise<Response> {
  const answer = await proxied(call);
  const response = answer instanceof Response ? answer : errorResponse(answer);
  if (response.headers.has("Access-Control-Allow-Origin")) return response;
  const cors = corsHeaders(call.request.headers.get("origin"), call.state.config.allOrigins);
  // Every answer here is one the broker built, so its headers can be set in place.
  try {
    for (const [name, value] of Object.entries(cors)) response.headers.set(name, value);
    return response;
  } catch {
    return withHeaders(response, cors);
  }
}
