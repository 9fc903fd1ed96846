/**
 * The fleet simulation, short, in `npm test`: eight sources sharing one KV namespace (reads made
 * stale at random) and the lease (slow or unreachable now and then) never serve an expired token
 * and never redeem a rotating refresh token twice. `npm run simulate` runs the 24-hour version.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { paymentsGate } from "../../src/index.ts";
import { HOUR, simulateFleet } from "./fleet.ts";

describe("a fleet of token sources, 6 simulated hours", () => {
  it("never serves an expired token and never redeems a PaymentsGate refresh token twice", async () => {
    const report = await simulateFleet({
      run: "fleet-test-paymentsgate",
      provider: () =>
        paymentsGate({
          accountId: "00000000-0000-4000-8000-000000000001",
          publicKey: "ZGVtby1wdWJsaWMta2V5",
          baseUrl: "http://127.0.0.1:8788/paymentsgate",
        }),
      sources: 8,
      durationMs: 6 * HOUR,
      stepMs: 1_000,
      requestChance: 0.1,
      leases: env.TOKEN_LEASES,
      kv: env.TOKENS,
      staleChance: 0.3,
      staleMs: 60_000,
      leaseFailChance: 0.02,
      leaseSlowChance: 0.05,
      slowLeaseMs: 5_000,
      seed: 11,
    });
    expect(report.requests).toBeGreaterThan(10_000);
    expect(report.authCalls).toBeGreaterThanOrEqual(report.tokenLifetimes);
    expect(report.expiredServed).toBe(0);
    expect(report.refreshTokenReuse).toBe(0);
  }, 120_000);
});
