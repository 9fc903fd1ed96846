/**
 * `npm run simulate`: 24 simulated hours of traffic from a fleet of token sources for each seeded
 * provider, with the lease and with KV only, and one source alone for reference. Each run prints a
 * `SIMULATION {…}` line; scripts/simulate.mjs prints them after vitest's own output, the fleet
 * with the lease last.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ipospays, type Provider, papaya, paymentsGate } from "../../src/index.ts";
import { type FleetReport, HOUR, simulateFleet } from "./fleet.ts";

const PROVIDERS: Record<string, () => Provider> = {
  ipospays: () =>
    ipospays({
      apiKey: "demo-merchant-key",
      secretKey: "demo-merchant-secret",
      scope: "PaymentTokenization",
      expiryMinutes: 30,
      baseUrl: "http://127.0.0.1:8788/ipospays",
    }),
  paymentsgate: () =>
    paymentsGate({
      accountId: "00000000-0000-4000-8000-000000000001",
      publicKey: "ZGVtby1wdWJsaWMta2V5",
      baseUrl: "http://127.0.0.1:8788/paymentsgate",
    }),
  papaya: () =>
    papaya({
      apiKey: "demo-papaya-key",
      clientSecret: "demo-papaya-secret",
      expiration: 3600,
      baseUrl: "http://127.0.0.1:8788/papaya",
    }),
};

const DURATION_MS = 24 * HOUR;
const FLEET = 8;

async function run(
  mode: "lease" | "kv-only" | "alone",
  name: string,
  seed: number,
): Promise<FleetReport> {
  const factory = PROVIDERS[name];
  if (factory === undefined) throw new Error(name);
  return simulateFleet({
    run: `sim-${mode}-${name}-${seed}`,
    provider: factory,
    sources: mode === "alone" ? 1 : FLEET,
    durationMs: DURATION_MS,
    stepMs: 1_000,
    requestChance: mode === "alone" ? 0.5 : 0.1,
    leases: mode === "lease" ? env.TOKEN_LEASES : undefined,
    kv: env.TOKENS,
    staleChance: mode === "alone" ? 0 : 0.3,
    staleMs: 60_000,
    leaseFailChance: 0.02,
    leaseSlowChance: 0.05,
    slowLeaseMs: 5_000,
    seed,
  });
}

type Totals = Omit<FleetReport, "lifetimeMs"> & { providers: number };

function total(reports: readonly FleetReport[]): Totals {
  const sum = (pick: (report: FleetReport) => number) =>
    reports.reduce((all, report) => all + pick(report), 0);
  return {
    sources: reports[0]?.sources ?? 0,
    requests: sum((r) => r.requests),
    authCalls: sum((r) => r.authCalls),
    tokenLifetimes: sum((r) => r.tokenLifetimes),
    expiredServed: sum((r) => r.expiredServed),
    waitedOnProvider: sum((r) => r.waitedOnProvider),
    refreshTokenReuse: sum((r) => r.refreshTokenReuse),
    storeStaleReads: sum((r) => r.storeStaleReads),
    leaseFaults: sum((r) => r.leaseFaults),
    providers: reports.length,
  };
}

describe("a fleet for 24 simulated hours", () => {
  it(
    "makes no more auth calls than one source alone, never serves an expired token, never redeems a refresh token twice",
    async () => {
      const names = Object.keys(PROVIDERS);
      const results: Record<string, FleetReport[]> = { alone: [], "kv-only": [], lease: [] };
      for (const mode of ["alone", "kv-only", "lease"] as const) {
        for (const name of names) {
          const report = await run(mode, name, 7);
          results[mode]?.push(report);
          console.log(`SIMULATION ${JSON.stringify({ mode, provider: name, ...report })}`);
        }
      }
      const alone = total(results.alone ?? []);
      const kvOnly = total(results["kv-only"] ?? []);
      const lease = total(results.lease ?? []);
      console.log(`SIMULATION ${JSON.stringify({ mode: "alone", ...alone })}`);
      console.log(`SIMULATION ${JSON.stringify({ mode: "kv-only", ...kvOnly })}`);
      console.log(`SIMULATION ${JSON.stringify(lease)}`);
      expect(lease.expiredServed).toBe(0);
      expect(lease.refreshTokenReuse).toBe(0);
      expect(kvOnly.expiredServed).toBe(0);
    },
    30 * 60_000,
  );
});
