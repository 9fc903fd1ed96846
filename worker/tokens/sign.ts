/** A broker access token on the wire: an RFC 9068 JWT (`typ: at+jwt`), ES256, with the key's `kid`. */
import { SignJWT } from "jose";
import { ACCESS_TOKEN_TYPE, type AccessTokenClaims } from "./claims.ts";
import type { SigningKey } from "./signing-keys.ts";

/** Signs the claims with the current key. */
export function signAccessToken(claims: AccessTokenClaims, key: SigningKey): Promise<string> {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: "ES256", typ: ACCESS_TOKEN_TYPE, kid: key.kid })
    .sign(key.privateKey);
}
