/**
 * `GET /counters`: what this isolate of the broker counted since it started (`counters.ts`), for
 * an operator's client — one whose policy sets `operator: true` — authenticated with its client
 * credentials (Basic). Names and numbers only; per isolate, so a fleet's picture is the sum of
 * the `counters` lines the cron writes from each.
 */

import { clientByCredentials } from "../caller.ts";
import type { Call } from "../context.ts";
import { countersSnapshot } from "../counters.ts";
import { NO_STORE } from "../http/cache-headers.ts";
import { jsonResponse } from "../http/json.ts";
import type { Failure } from "../oauth/failure.ts";

export async function countersEndpoint(call: Call): Promise<Response | Failure> {
  const found = await clientByCredentials(call, new URLSearchParams());
  if (!found.ok) return found.failure;
  if (!found.value.operator) {
    return {
      kind: "unauthorized_client",
      detail: "This client's policy does not allow reading counters (operator: true).",
    };
  }
  return jsonResponse(countersSnapshot(), { headers: NO_STORE });
}
