import { toBase64url } from "./internal/base64url.ts";
import type { TokenKey } from "./provider.ts";

const encoder = new TextEncoder();

/**
 * A short, stable fingerprint of a credential id: the first 96 bits of its SHA-256, base64url.
 * A store's key list then tells which account a token belongs to without naming it.
 */
export async function fingerprint(value: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(value));
  return toBase64url(new Uint8Array(digest, 0, 12));
}

/**
 * The name a token is stored under:
 * `edgetoken:v2:<provider>:<environment>:<fingerprint>:<endpoint fingerprint>:<scope>`, or
 * `edgetoken:v1:<provider>:<environment>:<fingerprint>:<scope>` for a key without `endpoint`.
 * Built from the provider, environment, fingerprints of the credential id and of where the
 * tokens come from, and the scope, so it is the same in every isolate and never contains a secret.
 *
 * @example
 * await storeKeyName({ provider: "ipospays", environment: "sandbox", credentialId: apiKey,
 *   scope: "PaymentTokenization", endpoint: "https://auth.ipospays.tech" });
 * // "edgetoken:v2:ipospays:sandbox:Qm9x…:c2Fu…:PaymentTokenization"
 */
export async function storeKeyName(key: TokenKey): Promise<string> {
  const part = encodeURIComponent;
  // v2 names the endpoint too: a v1 entry (no endpoint) is never read for a key that has one.
  const endpoint = key.endpoint === undefined ? [] : [await fingerprint(key.endpoint)];
  return [
    endpoint.length === 0 ? "edgetoken:v1" : "edgetoken:v2",
    part(key.provider),
    part(key.environment),
    await fingerprint(key.credentialId),
    ...endpoint,
    part(key.scope),
  ].join(":");
}
