/**
 * What a broker access token says: RFC 9068 claims (`iss`, `sub`, `aud`, `exp`, `iat`, `jti`,
 * `client_id`, `scope`), the actor of an exchange, and the root it was exchanged from.
 */
import { base64url } from "jose";
import type { Grant } from "../oauth/grants.ts";

/** The claims of a broker token (RFC 9068 §2.2, RFC 8693 §4.1 for `act`). */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  iat: number;
  jti: string;
  client_id: string;
  scope: string;
  act?: { sub: string } | undefined;
  /**
   * Not registered: the `jti` of the token this one was exchanged from, directly or through other
   * exchanges — the one `client_credentials` issued. Absent on that token itself. Revoking the
   * root revokes every token exchanged from it.
   */
  root_jti?: string | undefined;
  /**
   * Not registered: the `jti`s between the root and this token — every token it was exchanged
   * from except the root, oldest first, its direct parent last. Absent when the parent is the
   * root. With `root_jti` it is the whole lineage, so revoking any ancestor revokes this token,
   * with one revocation lookup per ancestor and no lookup of anything but this token.
   */
  chain?: readonly string[] | undefined;
}

/** Every ancestor's `jti`, root first: what must be unrevoked for this token to live. */
export function lineageOf(claims: Pick<AccessTokenClaims, "root_jti" | "chain">): string[] {
  return claims.root_jti === undefined ? [] : [claims.root_jti, ...(claims.chain ?? [])];
}

export const ACCESS_TOKEN_TYPE = "at+jwt";

/** 128 random bits, base64url: unguessable, and safe in a KV key name. */
export function newJti(): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(16)));
}

/** The claims a grant becomes at `now` (epoch ms). */
export function claimsFor(grant: Grant, issuer: string, now: number): AccessTokenClaims {
  const iat = Math.floor(now / 1000);
  return {
    iss: issuer,
    sub: grant.subject,
    aud: grant.audience,
    exp: iat + grant.lifetime,
    iat,
    jti: newJti(),
    client_id: grant.clientId,
    scope: grant.scopes.join(" "),
    ...(grant.actor === undefined ? {} : { act: { sub: grant.actor } }),
    ...(grant.rootJti === undefined ? {} : { root_jti: grant.rootJti }),
    ...(grant.chain === undefined || grant.chain.length === 0 ? {} : { chain: grant.chain }),
  };
}

/**
 * Whether the client `clientId` may revoke or introspect a token: it holds it (`client_id`) or
 * the token was first issued to it (`sub`, the subject of an exchange).
 */
export function isHolderOrSubject(
  claims: Pick<AccessTokenClaims, "client_id" | "sub">,
  clientId: string,
): boolean {
  return claims.client_id === clientId || claims.sub === clientId;
}
