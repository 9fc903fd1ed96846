import type { Provider, ResponseVerdict } from "./provider.ts";
import type { Runtime } from "./runtime.ts";
import type { Token } from "./token.ts";

/** What an authenticated fetch needs from the token source that runs it. */
export interface FetchWith {
  provider: Provider;
  runtime: Runtime;
  /** A token refused within this long of being obtained is not renewed (`renewCooldownMs`). */
  renewCooldownMs: number;
  /** The token to send: the source's `get()`, with the caller's options. */
  token(): Promise<Token>;
  /** The API refused this token: the source drops it, so the next `token()` is a new one. */
  refused(token: Token): void;
}

/**
 * `fetch` with the token attached the provider's way: attach, read the provider's verdict on
 * the response, renew the token once if it was refused, and replay the request once if its body
 * can be sent again. Redirects come back as they are unless `init.redirect` says otherwise.
 */
export async function authenticatedFetch(
  input: Request | string | URL,
  init: RequestInit | undefined,
  via: FetchWith,
): Promise<Response> {
  const { provider, runtime } = via;
  // Redirects are not followed unless the caller asks: the token would travel with them to
  // wherever they point (browsers drop Authorization across origins, not a `token` header).
  const request =
    init?.redirect === undefined && !(input instanceof Request)
      ? new Request(input, { ...init, redirect: "manual" })
      : new Request(input, init);
  // A stream the caller handed over can be read once; anything else can be sent again.
  const replayable = !(init?.body instanceof ReadableStream);
  const spare = replayable && request.body !== null ? request.clone() : request;
  const token = await via.token();
  const response = await runtime.fetch(provider.apply(request, token));
  const verdict: ResponseVerdict =
    (await provider.inspect?.(response)) ?? (response.status === 401 ? "rejected" : "ok");
  if (verdict === "ok") return response;
  // A token refused the moment it was obtained is not the token's fault (a bad request, or a
  // caller provoking 401s): renewing it would turn every such request into an auth call.
  if (runtime.now() - token.obtainedAt < via.renewCooldownMs) return response;
  via.refused(token);
  if (verdict === "renew" || !replayable) return response;
  const renewed = await via.token();
  await response.body?.cancel().catch(() => {});
  return runtime.fetch(provider.apply(spare, renewed));
}
