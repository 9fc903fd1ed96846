import type { Runtime } from "./runtime.ts";
import type { Token } from "./token.ts";

/**
 * Whose tokens these are. Together the parts name a token in a shared store; the credential id
 * (an API key id, an account id, a client id) is only ever stored as a fingerprint, and a secret
 * never belongs here.
 */
export interface TokenKey {
  /** `ipospays`, `paymentsgate`, `papaya`, `oauth2`… */
  provider: string;
  /** `sandbox`, `production`, or any name the deployment uses. */
  environment: string;
  /** The non-secret half of the credential. Fingerprinted before use. */
  credentialId: string;
  /** The scope the token carries; one token source per scope. */
  scope: string;
  /**
   * Where the tokens come from (the auth base URL, or the token URL): a token from an emulator
   * or a sandbox is then never adopted by a source pointed at another host. Fingerprinted.
   */
  endpoint?: string | undefined;
}

/** What a provider call gets from the token source. */
export interface ProviderContext {
  runtime: Runtime;
  signal?: AbortSignal | undefined;
}

/**
 * How a response says the token it was sent with is no good:
 * - `ok`: nothing to do;
 * - `rejected`: the request failed because of the token (a 401): renew it and replay once;
 * - `renew`: the request went through, but the provider wants a new token before the next one
 *   (iPOSpays' `AuthenticationRefreshRequired: true`).
 */
export type ResponseVerdict = "ok" | "rejected" | "renew";

/**
 * How to obtain, refresh and attach one kind of token. The seeded providers implement it; so can
 * anything else that issues bearer-style credentials.
 *
 * @example
 * const provider: Provider = {
 *   key: { provider: "acme", environment: "sandbox", credentialId: "client-1", scope: "pay" },
 *   obtain: async ({ runtime }) => acmeLogin(runtime.fetch),
 *   apply: bearer,
 * };
 */
export interface Provider {
  readonly key: TokenKey;
  /** Obtains a new token from the credentials. */
  obtain(context: ProviderContext): Promise<Token>;
  /**
   * Exchanges a previous token (or its refresh handle) for a new one. Throw an `EdgeTokenError`
   * with code `refresh_rejected` when the provider refuses it: the source then obtains anew.
   */
  refresh?(previous: Token, context: ProviderContext): Promise<Token>;
  /** Whether `refresh` can work from this token at `now`; `obtain` is used otherwise. */
  canRefresh?(previous: Token, now: number): boolean;
  /**
   * Where the token goes on a request, as data, for code that attaches it itself: the broker,
   * and `source.fetch` on the platform's own `fetch`, which then sets this header and does not
   * call `apply`. So `apply` must do exactly this and nothing more; a provider whose `apply` also
   * sets another header or signs the request leaves `placement` out. Absent, the broker takes
   * {@link BEARER}.
   */
  readonly placement?: TokenPlacement;
  /**
   * Returns the request with the token attached the provider's way. It may set the header on
   * the request it is given and return it (the token source and the broker always pass a request
   * of their own, made for this one send), so the body is never copied for it.
   */
  apply(request: Request, token: Token): Request;
  /**
   * Reads a protected API's response for signs that the token is dead. Default: 401 is
   * `rejected`. It must not consume the body (read a `clone()` if it has to look inside).
   */
  inspect?(response: Response): ResponseVerdict | Promise<ResponseVerdict>;
  /** What `JSON.stringify` shows: never a credential. */
  toJSON?(): Record<string, unknown>;
}

/**
 * How a token goes on a request: the header, and what comes before the token in it.
 *
 * @example
 * const placement: TokenPlacement = { header: "token", prefix: "" }; // iPOSpays
 * request.headers.set(placement.header, `${placement.prefix}${token.value}`);
 */
export interface TokenPlacement {
  readonly header: string;
  readonly prefix: string;
}

/**
 * `Authorization: Bearer <token>`, the way RFC 6750 and most payment APIs take it.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 * @example
 * const { header, prefix } = provider.placement ?? BEARER;
 */
export const BEARER: TokenPlacement = { header: "Authorization", prefix: "Bearer " };

/**
 * Sets the token on the request as `placement` says, and returns it: the same request, not a
 * copy, so its body is not wrapped again. A request whose headers cannot change (one a runtime
 * handed in) is copied first.
 */
export function attachToken(request: Request, token: Token, placement: TokenPlacement): Request {
  const value = `${placement.prefix}${token.value}`;
  let authorized = request;
  try {
    authorized.headers.set(placement.header, value);
  } catch {
    // Immutable headers (a request the runtime handed in): set them on a copy. A value that no
    // request can carry throws again, from there.
    authorized = new Request(request);
    authorized.headers.set(placement.header, value);
  }
  return authorized;
}

/**
 * Attaches a token as `Authorization: Bearer` ({@link BEARER}).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 * @example
 * const provider = { key, obtain, placement: BEARER, apply: bearer };
 */
export function bearer(request: Request, token: Token): Request {
  return attachToken(request, token, BEARER);
}
