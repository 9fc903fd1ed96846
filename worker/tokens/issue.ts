/**
 * The one place a broker token is made: the token endpoint, the demo page's session and the RPC
 * entrypoint all come here with the grant a request earned. It signs the RFC 9068 JWT with the
 * current key and writes the audit line.
 */
import type { WaitUntil } from "../../src/index.ts";
import { audit } from "../audit.ts";
import { type Grant, TOKEN_TYPE_ACCESS_TOKEN } from "../oauth/grants.ts";
import { claimsFor } from "./claims.ts";
import { signAccessToken } from "./sign.ts";
import type { KeySource } from "./signing-keys.ts";

/** The RFC 6749 §5.1 body of an issued token. */
export interface IssuedToken {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  scope: string;
  issued_token_type?: string;
}

/**
 * Signs the token a grant earns and writes its audit line: the one place a broker token is made,
 * for every way into the broker. `subjectJti` for an exchange.
 */
export async function issueToken(
  keys: KeySource,
  at: { now: number; issuer: string; ctx?: WaitUntil },
  grant: Grant,
  subjectJti?: string,
): Promise<IssuedToken> {
  const current = await keys.current(at.now);
  const claims = claimsFor(grant, at.issuer, at.now);
  const accessToken = await signAccessToken(claims, current.signing);
  audit(
    {
      event: subjectJti === undefined ? "token_issued" : "token_exchanged",
      client_id: claims.client_id,
      scope: claims.scope,
      aud: claims.aud,
      jti: claims.jti,
      exp: claims.exp,
      ...(subjectJti === undefined ? {} : { sub: claims.sub, subject_jti: subjectJti }),
    },
    at.now,
    at.ctx,
  );
  return {
    access_token: accessToken,
    token_type: "Bearer",
    expires_in: grant.lifetime,
    scope: claims.scope,
    ...(subjectJti === undefined ? {} : { issued_token_type: TOKEN_TYPE_ACCESS_TOKEN }),
  };
}
