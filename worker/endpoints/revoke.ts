/**
 * `POST /oauth/revoke` (RFC 7009): an authenticated client revokes a token issued to it (or one
 * exchanged from its own). Tokens exchanged from the revoked one, directly or in a chain, carry
 * its `jti` in their lineage (`root_jti` or `chain`) and are refused with it. Unknown, expired,
 * already revoked and other clients' tokens all get the same empty 200, so the endpoint tells
 * nothing about a token (§2.2).
 */

import { audit } from "../audit.ts";
import { clientAskingAbout, verifyToken } from "../caller.ts";
import type { Call } from "../context.ts";
import { NO_STORE } from "../http/cache-headers.ts";
import type { Failure } from "../oauth/failure.ts";
import { isHolderOrSubject } from "../tokens/claims.ts";

export async function revokeEndpoint(call: Call): Promise<Response | Failure> {
  const asked = await clientAskingAbout(call);
  if (!asked.ok) return asked.failure;
  const { client, token } = asked.value;
  // token_type_hint is ignored (§2.1 allows it): the broker issues access tokens only.
  const verified = await verifyToken(call, token);
  if (verified.ok) {
    const claims = verified.value;
    if (isHolderOrSubject(claims, client.id)) {
      await call.state.revocations.revoke(claims.jti, claims.exp, call.now);
      audit(
        {
          event: "token_revoked",
          client_id: client.id,
          scope: claims.scope,
          aud: claims.aud,
          jti: claims.jti,
          exp: claims.exp,
        },
        call.now,
        call.ctx,
      );
    }
  }
  return new Response(null, { status: 200, headers: NO_STORE });
}
