/**
 * `POST /oauth/introspect` (RFC 7662), for authenticated clients only. A token is `active` when
 * it verifies (signature, issuer, expiry, revocation of it or of its root) and the asking client
 * is its holder (`client_id`) or its subject (`sub`); otherwise, whatever the reason, the answer
 * is `{"active":false}`.
 */

import { clientAskingAbout, verifyToken } from "../caller.ts";
import type { Call } from "../context.ts";
import { NO_STORE } from "../http/cache-headers.ts";
import { jsonResponse } from "../http/json.ts";
import type { Failure } from "../oauth/failure.ts";
import { isHolderOrSubject } from "../tokens/claims.ts";

const INACTIVE = { active: false };

export async function introspectEndpoint(call: Call): Promise<Response | Failure> {
  const asked = await clientAskingAbout(call);
  if (!asked.ok) return asked.failure;
  const { client, token } = asked.value;
  const verified = await verifyToken(call, token);
  if (!verified.ok) return jsonResponse(INACTIVE, { headers: NO_STORE });
  const claims = verified.value;
  // Not the token's audience: every client whose tokens use the proxy lists BROKER_AUDIENCE, so
  // that would let clients read one another's tokens. A resource server verifies with the JWKS.
  if (!isHolderOrSubject(claims, client.id)) {
    return jsonResponse(INACTIVE, { headers: NO_STORE });
  }
  return jsonResponse(
    {
      active: true,
      scope: claims.scope,
      client_id: claims.client_id,
      token_type: "Bearer",
      exp: claims.exp,
      iat: claims.iat,
      sub: claims.sub,
      aud: claims.aud,
      iss: claims.iss,
      jti: claims.jti,
      ...(claims.act === undefined ? {} : { act: claims.act }),
    },
    { headers: NO_STORE },
  );
}
