/**
 * Client authentication at the token, revocation, introspection and provider-token endpoints:
 * the presented secret checked against the client's (RFC 6749 §2.3.1). Secrets are configured as
 * SHA-256 hashes and compared digest to digest in constant time; an unknown client costs the
 * same hash and comparison as a known one, and both fail the same way.
 */
import { base64url } from "jose";
import type { ClientPolicy } from "./client-policy.ts";
import { type Failure, fail, ok, type Result } from "./failure.ts";
import type { PresentedCredentials } from "./presented-credentials.ts";

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
