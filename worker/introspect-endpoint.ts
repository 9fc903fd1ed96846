/**
 * `POST /oauth/introspect` (RFC 7662), for authenticated clients only. A token is `active` when
 * it verifies (signature, issuer, expiry, revocation) and the asking client is its audience,
 * its holder or its subject; otherwise, whatever the reason, the answer is `{"active":false}`.
 */

import { readForm } from "./body.ts";
import { clientByCredentials, verifyToken } from "./caller.ts";
import type { Call } from "./context.ts";
import type { Failure } from "./failure.ts";
import { NO_STORE } from "./token-endpoint.ts";

const INACTIVE = { active: false };

export async function introspectEndpoint(call: Call): Promise<Response | Failure> {
  const form = await readForm(call.request);
  if (!form.ok) return form.failure;
  const client = await clientByCredentials(call, form.value);
  if (!client.ok) return client.failure;
  const token = form.value.get("token");
  if (token === null || token === "") {
    return { kind: "invalid_request", detail: "token is required." };
  }
  const verified = await verifyToken(call, token);
  if (!verified.ok) return Response.json(INACTIVE, { headers: NO_STORE });
  const { claims } = verified;
  const asker = client.value;
  const concerned =
    asker.audiences.includes(claims.aud) ||
    claims.client_id === asker.id ||
    claims.sub === asker.id;
  if (!concerned) return Response.json(INACTIVE, { headers: NO_STORE });
  return Response.json(
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
