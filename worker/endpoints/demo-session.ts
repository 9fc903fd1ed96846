/**
 * `POST /demo/token`: the demo checkout page's stand-in backend. A real shop's backend holds its
 * broker client credentials and hands its own page a token narrowed to one scope and a couple of
 * minutes; in the embedded default the broker plays that part for the client named by
 * `DEMO_CLIENT_ID`. Off (404) unless that var is set, and same-origin pages only: never deploy
 * it with a client that matters.
 */

import { BROKER_SCOPE_PATTERN } from "../../src/index.ts";
import type { Call } from "../context.ts";
import { readForm } from "../http/body.ts";
import { NO_STORE } from "../http/cache-headers.ts";
import { jsonResponse } from "../http/json.ts";
import type { Failure } from "../oauth/failure.ts";
import { clientCredentialsGrant } from "../oauth/grants.ts";
import { countRequest } from "../rate-limit.ts";
import { issueToken } from "../tokens/issue.ts";

/** Page tokens live two minutes: long enough to pay, short enough not to matter if they leak. */
const PAGE_TOKEN_SECONDS = 120;

export async function demoSessionEndpoint(call: Call): Promise<Response | Failure> {
  const clientId = call.state.config.demoClientId;
  const client = clientId === undefined ? undefined : call.state.config.clients.get(clientId);
  if (client === undefined) return { kind: "not_found" };
  const origin = call.request.headers.get("origin");
  if (origin !== null && origin !== call.url.origin) return { kind: "origin_not_allowed" };
  const form = await readForm(call.request);
  if (!form.ok) return form.failure;
  const scope = form.value.get("scope") ?? "";
  if (!BROKER_SCOPE_PATTERN.test(scope)) {
    return { kind: "invalid_request", detail: "scope must be exactly one provider:scope." };
  }
  // Anyone can ask (it is the page's stand-in backend): sessions spend a budget of their own, so
  // they can never lock the demo client itself out of its own credentials.
  const counted = await countRequest(call, {
    id: `demo sessions of ${client.id}`,
    rateLimit: client.rateLimit,
  });
  if (!counted.ok) return counted.failure;
  const params = new URLSearchParams({ scope, expires_in: String(PAGE_TOKEN_SECONDS) });
  const resource = form.value.get("resource");
  if (resource !== null) params.set("resource", resource);
  const granted = clientCredentialsGrant(params, client);
  if (!granted.ok) return granted.failure;
  return jsonResponse(await issueToken(call.state.keys, call, granted.value), {
    headers: NO_STORE,
  });
}
