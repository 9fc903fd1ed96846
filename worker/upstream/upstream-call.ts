/**
 * One call to a provider's API for the proxy: the provider's token attached the provider's way,
 * a deadline on the whole exchange, a cap on what comes back, the provider's token taken out of
 * whatever the upstream answers, and a renewal of that token only when it can be its fault.
 *
 * Why renewals are rationed: the caller chooses the path, query and body, and an upstream may
 * answer 401 to any of them (an unknown deal id, a malformed field). Renewing the token after each
 * such 401 would let anyone holding a page token make the broker call the provider's auth API as
 * often as it likes. So the first 401 for a token (at least a second old) drops it — `refuse`:
 * the next token comes from the shared store if another isolate renewed already, else from the
 * provider through the lease — and the request is replayed once with the new one. If the replay
 * is refused too, the token was not at fault: renewals for that scope stop here for a minute,
 * doubling each time it happens again (up to 15 minutes), and 401s go back to the caller as the
 * upstream answered them. A replay that goes through clears that. A request that was in flight
 * with a token already dropped is replayed with the new one, at no cost.
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
import { type ProviderTokens, providerFailure } from "./token-sources.ts";

/** How long the proxy waits for an upstream answer, body included, by default. */
export const PROXY_TIMEOUT_MS = 10_000;
/** An upstream answer larger than this is not passed on (a payment API answers in kilobytes). */
export const PROXY_RESPONSE_LIMIT_BYTES = 1024 * 1024;
/** Never `location`: a redirect is not followed, and not pointed at either. */
/** `Idempotent-Replayed` tells the caller a retried payment was not made twice. */
const RESPONSE_HEADERS = ["content-type", "idempotent-replayed", "retry-after", "x-request-id"];
const REDACTED = "[redacted]";

/** A token refused within this long of being obtained is the request's fault, not the token's. */
export const RENEW_COOLDOWN_MS = 1_000;
/** After a renewal that did not help, none for this long, doubling each time, up to the cap. */
const SUSPEND_MS = 60_000;
const SUSPEND_MAX_MS = 15 * 60_000;
/** Refused token values remembered per isolate, so each is dropped once. */
const REMEMBERED = 256;

/** Per isolate: tokens already dropped, and scopes whose 401s a renewal did not cure. */
export interface Renewals {
  refused: Set<string>;
  suspended: Map<BrokerScope, { until: number; strikes: number }>;
}

/** A fresh record, one per broker (per isolate). */
export function createRenewals(): Renewals {
  return { refused: new Set(), suspended: new Map() };
}

export interface UpstreamCall {
  provider: ProviderName;
  scope: BrokerScope;
  source: TokenSource;
  providers: ProviderTokens;
  renewals: Renewals;
  /**
   * Builds the request to send, with `signal`: called once per send, so a replay is built afresh
   * from the proxy's own buffered body instead of from a copy kept in case.
   */
  request: (signal: AbortSignal) => Request;
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
 * Whether to replay a refused request with a newer token: the token is dropped when it can be at
 * fault (the next `get()` then has a newer one); one dropped already needs nothing more.
 */
function renewIfItsTheToken(call: UpstreamCall, token: Token): boolean {
  const { refused, suspended } = call.renewals;
  if (refused.has(token.value)) return true;
  if (call.now - token.obtainedAt < RENEW_COOLDOWN_MS) return false;
  const suspension = suspended.get(call.scope);
  if (suspension !== undefined && call.now < suspension.until) return false;
  refused.add(token.value);
  if (refused.size > REMEMBERED) refused.delete(refused.values().next().value ?? "");
  call.source.refuse(token);
  return true;
}

/** A replay with a new token was refused too: the request was at fault; stop renewing a while. */
function suspendRenewals(call: UpstreamCall): void {
  const strikes = (call.renewals.suspended.get(call.scope)?.strikes ?? 0) + 1;
  const wait = Math.min(SUSPEND_MAX_MS, SUSPEND_MS * 2 ** (strikes - 1));
  call.renewals.suspended.set(call.scope, { until: call.now + wait, strikes });
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
    const send = (token: Token) =>
      within(call.providers.fetch(api.apply(call.request(abort.signal), token)));
    let token = await within(source.get({ ctx }));
    let response = await send(token);
    const verdict =
      (await within(Promise.resolve(api.inspect?.(response)))) ??
      (response.status === 401 ? "rejected" : "ok");
    if (verdict !== "ok" && renewIfItsTheToken(call, token)) {
      token = await within(source.get({ ctx }));
      // The body is the proxy's own buffered copy, so the request can be sent again, once.
      if (verdict === "rejected") {
        await response.body?.cancel().catch(() => {});
        response = await send(token);
        if (response.status === 401) suspendRenewals(call);
        else call.renewals.suspended.delete(call.scope);
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
