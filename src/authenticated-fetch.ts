import { EdgeTokenError, isEdgeTokenError } from "./errors.ts";
import type { Provider, ResponseVerdict, TokenPlacement } from "./provider.ts";
import { globalFetch, type Runtime } from "./runtime.ts";
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
 * What a platform failure becomes, so that `switch (error.code)` sees everything `fetch` throws:
 * the caller's abort, or the API out of reach (Node's `TypeError: fetch failed`, workerd's
 * `internal error; reference=…`) — `request_failed`, apart from the token's own failures. The cause is the platform's error: it names a host at most,
 * never a header — the token travels in one.
 */
function sendError(error: unknown, signal: AbortSignal | undefined, url: string): EdgeTokenError {
  if (isEdgeTokenError(error)) return error;
  if (signal?.aborted) {
    return new EdgeTokenError("aborted", "source.fetch() was aborted.", { cause: error });
  }
  return new EdgeTokenError(
    "request_failed",
    `${new URL(url).origin} did not answer; the request may or may not have reached it.`,
    { cause: error },
  );
}

/** Sends the request with `token` attached; `again`: the replay after a renewal. */
type Send = (token: Token, again: boolean) => Promise<Response>;

/** The caller's URL or init cannot make a request (no token is in the error: it is theirs). */
function unbuildable(cause: unknown): EdgeTokenError {
  return new EdgeTokenError(
    "configuration",
    "source.fetch() cannot build this request; check its URL and init.",
    { cause },
  );
}

/** No cause: the platform's message may quote the header value it refused (the token). */
function unsendable(): EdgeTokenError {
  return new EdgeTokenError("invalid_response", "The token cannot be sent in a header.");
}

/**
 * `fetch` with the token attached the provider's way: attach, read the provider's verdict on
 * the response, renew the token once if it was refused, and replay the request once if its body
 * can be sent again. Redirects come back as they are unless `init.redirect` says otherwise.
 * Everything it throws is an `EdgeTokenError`.
 */
export async function authenticatedFetch(
  target: Request | string | URL,
  init: RequestInit | undefined,
  via: FetchWith,
): Promise<Response> {
  const { provider, runtime } = via;
  // The URL as it is now, as `fetch` reads it when called: a URL object the caller changes
  // meanwhile (the next page, in a loop) is not where this request, or its replay, goes.
  const input = target instanceof URL ? target.href : target;
  // A stream the caller handed over can be read once: it is not replayed.
  const replayable = !(init?.body instanceof ReadableStream);
  const placement = provider.placement;
  const straight =
    placement !== undefined &&
    runtime.fetch === globalFetch &&
    !(input instanceof Request) &&
    plain(init) &&
    (!replayable || rebuildable(init?.body, input));
  let send: Send;
  try {
    send = straight ? direct(input, init, placement) : viaRequest(input, init, via, replayable);
  } catch (error) {
    // No token is attached yet: the platform's error (a Request, headers or a body copy it could
    // not make) is about the caller's own URL or init.
    throw unbuildable(error);
  }
  let token: Token;
  try {
    token = await via.token();
  } catch (error) {
    // The direct path builds nothing before the token: a request that cannot be built is the
    // caller's to fix, whatever the token endpoint did (as on the Request path, which built it).
    if (straight) buildable(input, init);
    throw error;
  }
  const response = await send(token, false);
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
  return send(renewed, true);
}

/**
 * The platform's own `fetch` given the caller's URL and init, with the token in a copy of the
 * headers: no `Request` is built here, so the body is handed over once, as it is (undici copies
 * a `Request` given to `fetch` again; this path is what keeps a POST near a plain `fetch`). A
 * replay sends the same init: its body is a value (`rebuildable`), or a stream, never replayed.
 */
function direct(
  input: string | URL,
  init: RequestInit | undefined,
  placement: TokenPlacement,
): Send {
  const given = init?.headers;
  // Headers given as a plain object (the usual `{ "content-type": … }`) stay one, with the token
  // under its name and any spelling of that name the caller used left out: Deno's fetch takes a
  // `Headers` about a fifth slower than a plain object. A `Headers` or pairs go into a `Headers`.
  let headers: Headers | Record<string, string>;
  if (plain(given)) {
    const name = placement.header.toLowerCase();
    headers = {};
    for (const [key, value] of Object.entries((given ?? {}) as Record<string, string>)) {
      if (key.toLowerCase() !== name) headers[key] = value;
    }
  } else {
    headers = new Headers(given);
  }
  const sending: RequestInit = { ...init, headers, redirect: init?.redirect ?? "manual" };
  // The body as it is now, as `fetch` would take it: bytes or a form the caller changes while the
  // token is on its way (or before a replay) are not what goes out.
  sending.body = snapshot(init?.body);
  return async (token) => {
    const value = `${placement.prefix}${token.value}`;
    // What a header value may hold (fetch would refuse it, quoting it in its error: the token).
    if (!/^[^\0\n\r\u0100-\uffff]*$/.test(value)) throw unsendable();
    if (headers instanceof Headers) headers.set(placement.header, value);
    else headers[placement.header] = value;
    try {
      return await globalFetch(input, sending);
    } catch (error) {
      if (init?.signal?.aborted) throw sendError(error, init.signal, "");
      // Was it the caller's URL or init (a GET with a body, say)? Built without the token, the
      // platform's error is about the caller's own input.
      throw sendError(error, undefined, buildable(input, init).url);
    }
  };
}

/**
 * The `Request` the caller's URL and init make, without the token, or `configuration` if they
 * make none. A stream body stands in as a new empty stream: the caller's may be read already.
 */
function buildable(input: string | URL, init: RequestInit | undefined): Request {
  try {
    return new Request(
      input,
      init?.body instanceof ReadableStream ? { ...init, body: new ReadableStream() } : init,
    );
  } catch (cause) {
    throw unbuildable(cause);
  }
}

/**
 * None, or a plain object: an init the direct path may spread (a `Request` given as init keeps
 * its members in getters a spread does not copy: its method, its body), or headers it may copy
 * by their entries.
 */
function plain(value: object | undefined | null): boolean {
  const prototype: unknown = value && Object.getPrototypeOf(value);
  return !prototype || prototype === Object.prototype;
}

/**
 * A copy of a body the caller can still change (bytes, a form), taken now; one they cannot (a
 * string, a Blob), as it is. Bytes stay bytes (a Blob would be read as a stream): the same bytes
 * of a view of any type, with no `content-type`, as they would have been. None is `null`.
 */
function snapshot(body: BodyInit | null | undefined): BodyInit | null {
  if (body instanceof ArrayBuffer) return body.slice(0);
  if (ArrayBuffer.isView(body)) {
    return new Uint8Array(body.buffer, body.byteOffset, body.byteLength).slice();
  }
  if (body instanceof URLSearchParams) return new URLSearchParams(body);
  if (!(body instanceof FormData)) return body ?? null;
  const copy = new FormData();
  body.forEach((value, name) => {
    copy.append(name, value);
  });
  return copy;
}

/** A `Request` built once, the token set on it, sent through `runtime.fetch`. */
function viaRequest(
  input: Request | string | URL,
  init: RequestInit | undefined,
  via: FetchWith,
  replayable: boolean,
): Send {
  const { provider, runtime } = via;
  // Redirects are not followed unless the caller asks: the token would travel with them to
  // wherever they point (browsers drop Authorization across origins, not a `token` header).
  const build = (from: RequestInit | undefined): Request =>
    from?.redirect === undefined && !(input instanceof Request)
      ? new Request(input, { ...from, redirect: "manual" })
      : new Request(input, from);
  const request = build(init);
  // What a replay needs, without a second request up front where none is needed: a body given
  // in `init` as a string, bytes, a Blob or a form is built into a new request only if a renewal
  // happens, from the body as it was when called (bytes and forms copied now, as on the direct
  // path: the caller may change them before the replay). A body that can only be read once and
  // is not the caller's stream (a Request's own, an async iterable) is teed now.
  const spare = replayable && !rebuildable(init?.body, input) ? request.clone() : undefined;
  const kept = plain(init) ? { ...init, body: snapshot(init?.body) } : init;
  return async (token, again) => {
    const unsent = again ? (spare ?? build(kept)) : request;
    let authorized: Request;
    try {
      authorized = provider.apply(unsent, token);
    } catch {
      throw unsendable();
    }
    try {
      return await runtime.fetch(authorized);
    } catch (error) {
      throw sendError(error, authorized.signal, authorized.url);
    }
  };
}

/**
 * Whether the request can be built again from `input` and `init` with the same body: no body at
 * all, or one `init` holds as a value (string, bytes, Blob, URLSearchParams, FormData).
 */
function rebuildable(body: BodyInit | null | undefined, input: Request | string | URL): boolean {
  if (body === undefined || body === null)
    return !(input instanceof Request && input.body !== null);
  return (
    typeof body === "string" ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    body instanceof Blob ||
    body instanceof URLSearchParams ||
    body instanceof FormData
  );
}
