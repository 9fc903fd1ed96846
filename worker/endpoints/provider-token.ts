/**
 * `POST /provider-token` with `scope=<one provider scope>`: the provider's own token from the
 * shared cache, for trusted server-side clients whose policy sets `providerTokens: true`. The
 * caller authenticates with its client credentials (`client_secret_basic` or
 * `client_secret_post`) and nothing else: a broker token — a two-minute page token, a narrowed
 * exchanged one — must never buy the provider's raw token, which lives for hours and opens every
 * path of the provider's API. A bearer token is `invalid_client`. The answer says how to attach
 * the token.
 *
 * `refused_token=<the token it was given>` says the provider refused it (a 401): the broker
 * renews it once for the whole fleet if it still holds it and it is not brand new, and answers
 * with the token to use now (`providerTokenFor`).
 */

import { clientByCredentials } from "../caller.ts";
import type { Call } from "../context.ts";
import { readForm } from "../http/body.ts";
import { NO_STORE } from "../http/cache-headers.ts";
import { jsonResponse } from "../http/json.ts";
import type { Failure } from "../oauth/failure.ts";
import { hasBearerScheme } from "../oauth/presented-credentials.ts";
import { providerTokenFor } from "../upstream/provider-token.ts";

export async function providerTokenEndpoint(call: Call): Promise<Response | Failure> {
  // Not a client authentication method here: refused before anything else is looked at.
  if (hasBearerScheme(call.request)) return { kind: "invalid_client" };
  const form = await readForm(call.request);
  if (!form.ok) return form.failure;
  const found = await clientByCredentials(call, form.value);
  if (!found.ok) return found.failure;
  const answer = await providerTokenFor(
    call.state.providers,
    found.value,
    { scope: form.value.get("scope"), refused: form.value.get("refused_token") },
    call,
  );
  if (!answer.ok) return answer.failure;
  return jsonResponse(answer.value, { headers: NO_STORE });
}
