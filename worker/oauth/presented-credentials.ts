/**
 * What a request presents to say who it is, read before anything is checked: client credentials
 * as `client_secret_basic` or `client_secret_post` (RFC 6749 §2.3.1), or a bearer token
 * (RFC 6750 §2.1).
 */
import { type Failure, fail, ok, type Result } from "./failure.ts";

const INVALID_CLIENT: Failure = { kind: "invalid_client" };

/** What a request presented, before it is checked. */
export interface PresentedCredentials {
  id: string;
  secret: string;
  method: "client_secret_basic" | "client_secret_post";
}

/** `application/x-www-form-urlencoded` decoding, as §2.3.1 asks of Basic credentials. */
function formDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replaceAll("+", " "));
  } catch {
    return undefined;
  }
}

function fromBasic(header: string): Result<PresentedCredentials> {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (match?.[1] === undefined) return fail(INVALID_CLIENT);
  let decoded: string;
  try {
    decoded = atob(match[1]);
  } catch {
    return fail(INVALID_CLIENT);
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) return fail(INVALID_CLIENT);
  const id = formDecode(decoded.slice(0, colon));
  const secret = formDecode(decoded.slice(colon + 1));
  if (id === undefined || secret === undefined || id === "") return fail(INVALID_CLIENT);
  return ok({ id, secret, method: "client_secret_basic" });
}

/**
 * The credentials a request carries: the `Authorization: Basic` header or `client_id` and
 * `client_secret` in the form. Using both is an `invalid_request` (RFC 6749 §2.3); neither, or
 * a header that does not decode, is `invalid_client`.
 */
export function presentedCredentials(
  authorization: string | null,
  form: URLSearchParams,
): Result<PresentedCredentials> {
  const formId = form.get("client_id");
  const formSecret = form.get("client_secret");
  if (authorization !== null && /^basic\b/i.test(authorization)) {
    if (formSecret !== null) {
      return fail({
        kind: "invalid_request",
        detail: "Use one client authentication method: Basic or client_secret, not both.",
      });
    }
    const basic = fromBasic(authorization);
    if (basic.ok && formId !== null && formId !== basic.value.id) {
      return fail({
        kind: "invalid_request",
        detail: "client_id does not match the Basic credentials.",
      });
    }
    return basic;
  }
  if (formId === null || formSecret === null || formId === "") return fail(INVALID_CLIENT);
  return ok({ id: formId, secret: formSecret, method: "client_secret_post" });
}

/** Whether the request carries client credentials at all (Basic, or `client_id` in the form). */
export function presentsCredentials(request: Request, form: URLSearchParams): boolean {
  return (
    /^basic\b/i.test(request.headers.get("authorization") ?? "") ||
    form.has("client_id") ||
    form.has("client_secret")
  );
}

/** `Authorization: Bearer <token>` (RFC 6750 §2.1); `null` when the header is not Bearer. */
export function bearerToken(request: Request): string | null {
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(
    request.headers.get("authorization") ?? "",
  );
  return match?.[1] ?? null;
}

/** Whether the request tries to authenticate with a bearer token at all. */
export function hasBearerScheme(request: Request): boolean {
  return /^bearer\b/i.test(request.headers.get("authorization") ?? "");
}

/** Where a request comes from: `CF-Connecting-IP` when it holds an IPv4 or IPv6 address. */
export function addressOf(request: Request): string | undefined {
  const address = request.headers.get("cf-connecting-ip");
  return address !== null && /^[0-9A-Fa-f:.]{2,45}$/.test(address) ? address : undefined;
}
