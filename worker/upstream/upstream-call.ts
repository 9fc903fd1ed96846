/**
 * One call to a provider's API for the proxy: the provider's token attached the provider's way,
 * a deadline on the whole exchange, a cap on what comes back, the provider's token taken out of
 * whatever the upstream answers, and a renewal of that token only when it can be its fault.
 *
 * Why renewals are rationed: the caller chooses the path, query and body, and an upstream may
 * answer 401 to any of them (an unknown deal id, a malformed field). Renewing the token after each
 * such 401 would let anyone holding a page token make the broker call the provider's auth API as
 * often as it likes. So a refused token is renewed at most once (its value is remembered), only
 * once it is at least a minute old (a token that worked a minute ago and fails now was likely
 * revoked; one refused at once is the request's fault), and at most once a minute per scope across
 * the fleet (a Durable Object budget). A renewed request is replayed once; a refused one that is
 * not renewed goes back to the caller as the upstream answered it.
 *
 * Why the redaction: the caller holds a broker token, never the provider's — which lives for
 * hours and opens every path of the provider's API. An upstream that reflects its request (a
 * debugging endpoint, an error page that quotes headers, a misbehaving sandbox) would hand our
 * token to the caller. Headers are already an allow-list; the body is read (it is small: a
 * payment API's answer) and every occurrence of the token — as is, and with JSON's escaped
 * slashes — becomes `[redacted]`, and an allowed header that carries it is dropped.
 */
import {
  isEdgeTokenError,
  readUpTo,
  type Token,
  type TokenSource,
  type WaitUntil,
} from "../../src/index.ts";
import type { Failure } from "../oauth/failure.ts";
import type { BrokerScope, ProviderName } from "../oauth/scopes.ts";
import type { Limits } from "../rate-limit.ts";
import { type ProviderTokens, providerFailure } from "./token-sources.ts";

/** How long the proxy waits for an upstream answer, body included, by default. */
export const PROXY_TIMEOUT_MS = 10_000;
/** An upstream answer larger than this is not passed on (a payment API answers in kilobytes). */
export const PROXY_RESPONSE_LIMIT_BYTES = 1024 * 1024;
/** Never `location`: a redirect is not followed, and not pointed at either. */
const RESPONSE_HEADERS = ["content-type", "retry-after", "x-request-id"];
const REDACTED = "[redacted]";

/** A provider token refused at the proxy is renewed only once it is this old. */
export const RENEW_AFTER_MS = 60_000;
/** And at most this often per scope, across the fleet. */
const RENEWALS = { requests: 1, windowSeconds: 60 };
/** Refused token values remembered per isolate, so each is renewed once. */
const REMEMBERED = 256;
const refusedTokens = new Set<string>();

export interface UpstreamCall {
  provider: ProviderName;
  scope: BrokerScope;
  source: TokenSource;
  providers: ProviderTokens;
  limits: Limits;
  request: Request;
  ctx: WaitUntil;
  now: number;
  timeoutMs: number;
}

class DeadlinePassed extends Error {
  override name = "DeadlinePassed";
}

/** Every value a response must not carry: the token as sent, and as JSON may escape it. */
function secretsOf(tokens: readonly string[]): string[] {
  const forms = tokens.flatMap((token) => [token, token.replaceAll("/", "\\/")]);
  return [...new Set(forms)].filter((form) => form.length >= 8);
}

/**
 * Drops a refused token when it can be the token's fault, within the renewal budget: whether it
 * did (the next `get()` then obtains a new one).
 */
async function renewIfItsTheToken(call: UpstreamCall, token: Token): Promise<boolean> {
  if (refusedTokens.has(token.value)) return false;
  if (call.now - token.obtainedAt < RENEW_AFTER_MS) return false;
  refusedTokens.add(token.value);
  if (refusedTokens.size > REMEMBERED) {
    refusedTokens.delete(refusedTokens.values().next().value ?? "");
  }
  const limited = await call.limits.take(`renewals of ${call.scope}`, RENEWALS, call.now);
  if (limited !== undefined) return false;
  await call.source.invalidate();
  return true;
}

function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((out, secret) => out.replaceAll(secret, REDACTED), text);
}

/**
 * The upstream's answer as the caller may see it, or the failure: `upstream_timeout` past the
 * deadline, `upstream_unreachable` for a network error or an answer over the cap, the
 * provider's failure when no token could be had.
 */
export async function callUpstream(call: UpstreamCall): Promise<Response | Failure> {
  const { provider, source, ctx } = call;
  const abort = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(new DeadlinePassed());
    }, call.timeoutMs);
  });
  // Whatever the upstream does, the caller hears back by the deadline.
  const within = <T>(pending: Promise<T>): Promise<T> => Promise.race([pending, deadline]);
  deadline.catch(() => {});
  try {
    const api = call.providers.provider(call.scope);
    if (api === undefined) return { kind: "provider_not_configured", provider };
    const send = (token: Token, request: Request) =>
      within(
        call.providers.fetch(api.apply(new Request(request, { signal: abort.signal }), token)),
      );
    const spare = call.request.clone();
    let token = await within(source.get({ ctx }));
    let response = await send(token, call.request);
    const verdict =
      (await within(Promise.resolve(api.inspect?.(response)))) ??
      (response.status === 401 ? "rejected" : "ok");
    if (verdict !== "ok" && (await renewIfItsTheToken(call, token))) {
      token = await within(source.get({ ctx }));
      // The body is the proxy's own buffered copy, so the request can be sent again, once.
      if (verdict === "rejected") {
        await response.body?.cancel().catch(() => {});
        response = await send(token, spare);
      }
    }
    const bytes =
      response.body === null
        ? new Uint8Array()
        : await readUpTo(response.body, PROXY_RESPONSE_LIMIT_BYTES, within);
    if (bytes === undefined) return { kind: "upstream_unreachable", provider };
    const secrets = secretsOf([token.value]);
    const headers = new Headers();
    for (const name of RESPONSE_HEADERS) {
      const value = response.headers.get(name);
      if (value !== null && !secrets.some((secret) => value.includes(secret))) {
        headers.set(name, value);
      }
    }
    const text = new TextDecoder().decode(bytes);
    const clean = secrets.some((secret) => text.includes(secret)) ? redact(text, secrets) : null;
    return new Response(clean ?? (bytes.byteLength === 0 ? null : bytes), {
      status: response.status,
      headers,
    });
  } catch (error) {
    if (error instanceof DeadlinePassed) return { kind: "upstream_timeout", provider };
    if (isEdgeTokenError(error)) {
      return providerFailure(provider, error, { now: call.now, failures: call.providers.failures });
    }
    return { kind: "upstream_unreachable", provider };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
