/**
 * `POST /oauth/token`: the client credentials grant (RFC 6749 §4.4) and token exchange as
 * downscoping (RFC 8693). Both issue an RFC 9068 JWT; the response is RFC 6749 §5.1 JSON.
 */

import type { Call } from "../context.ts";
import { readForm } from "../http/body.ts";
import { NO_STORE } from "../http/cache-headers.ts";
import { jsonResponse } from "../http/json.ts";
import type { Failure } from "../oauth/failure.ts";
import { tokenRequestGrant } from "../token-request.ts";
import { issueToken } from "../tokens/issue.ts";

export async function tokenEndpoint(call: Call): Promise<Response | Failure> {
  if (call.url.searchParams.has("client_secret")) {
    return { kind: "invalid_request", detail: "Credentials must not be sent in the URL." };
  }
  const form = await readForm(call.request);
  if (!form.ok) return form.failure;
  const granted = await tokenRequestGrant(call, form.value);
  if (!granted.ok) return granted.failure;
  const { grant, subjectJti } = granted.value;
  return jsonResponse(await issueToken(call.state.keys, call, grant, subjectJti), {
    headers: NO_STORE,
  });
}
