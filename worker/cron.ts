/**
 * The cron trigger: touches every provider token a client can ask for, so the token sources
 * obtain or refresh them ahead of expiry here rather than in a caller's request. A token that
 * is fresh costs one KV read; one past its refresh point is refreshed in the background (kept
 * alive by `ctx.waitUntil`); a missing one is obtained.
 */

import { countersSnapshot } from "./counters.ts";
import { type BrokerScope, providerOf } from "./oauth/scopes.ts";
import type { BrokerState } from "./state.ts";

export interface CronReport {
  ok: readonly BrokerScope[];
  failed: readonly BrokerScope[];
}

/** The scopes worth keeping warm: configured, and held by at least one client. */
export function scopesToRefresh(state: BrokerState): readonly BrokerScope[] {
  const held = new Set([...state.config.clients.values()].flatMap((client) => client.scopes));
  return state.providers.scopes().filter((scope) => held.has(scope));
}

export async function refreshProviderTokens(
  state: BrokerState,
  ctx: ExecutionContext,
): Promise<CronReport> {
  const scopes = scopesToRefresh(state);
  const results = await Promise.allSettled(
    scopes.map((scope) => state.providers.source(scope)?.get({ ctx })),
  );
  const failed = scopes.filter((_, index) => results[index]?.status === "rejected");
  for (const scope of failed) {
    const result = results[scopes.indexOf(scope)];
    const reason = result?.status === "rejected" ? (result.reason as unknown) : undefined;
    const code = (reason as { code?: unknown } | undefined)?.code;
    console.error(
      JSON.stringify({
        event: "cron_refresh_failed",
        scope,
        provider: providerOf(scope),
        code: typeof code === "string" ? code : "unexpected",
      }),
    );
  }
  const report = { ok: scopes.filter((scope) => !failed.includes(scope)), failed };
  console.log(JSON.stringify({ event: "cron_refresh", ...report }));
  // What this isolate counted, for operators reading the log (the fleet: the sum of such lines).
  console.log(JSON.stringify({ event: "counters", ...countersSnapshot() }));
  return report;
}
