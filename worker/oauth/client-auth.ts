/**
 * Client authentication at the token, revocation, introspection and provider-token endpoints:
 * `client_secret_basic` and `client_secret_post` (RFC 6749 §2.3.1). Secrets are configured as
 * SHA-256 hashes and compared digest to digest in constant time; an unknown client costs the
 * same hash and comparison as a known one, and both fail the same way.
 */
import { base64url } from "jose";
import type { ClientPolicy } from "./client-policy.ts";
import { type Failure, fail, ok, type Result } from "./failure.ts";

/** What a request presented, before it is checked. */
export interface PresentedCredentials {
  id: string;
  secret: string;
  method: "client_secret_basic" | "client_secret_post";
}

const encoder = new TextEncoder();
const INVALID_CLIENT: Failure = { kind: "invalid_client" };
/** Compared against when the client is unknown, so that path does the same work. */
const NO_DIGEST = new Uint8Array(32);

/**
 * The `sha256:` form of a secret, as `BROKER_CLIENTS[].secretHash` holds it.
 *
 * @example
 * await hashSecret("demo-secret"); // "sha256:zVd_4lYev_I1BdsLsAYwDHzey9RrwOA8RJr6-sosJb8"
 */
export async function hashSecret(secret: string): Promise<string> {
  return `sha256:${base64url.encode(await digest(secret))}`;
}

async function digest(secret: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(secret)));
}

/** Equal-length byte strings compared without an early exit. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let difference = 0;
  for (let i = 0; i < a.byteLength; i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
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

/** The client whose secret this is, or `invalid_client` — the same for every reason. */
export async function authenticateClient(
  presented: PresentedCredentials,
  clients: ReadonlyMap<string, ClientPolicy>,
): Promise<Result<ClientPolicy>> {
  const client = clients.get(presented.id);
  const expected = client === undefined ? undefined : base64url.decode(client.secretHash.slice(7));
  const actual = await digest(presented.secret);
  const matches = constantTimeEqual(actual, expected ?? NO_DIGEST);
  return client !== undefined && matches ? ok(client) : fail(INVALID_CLIENT);
}
