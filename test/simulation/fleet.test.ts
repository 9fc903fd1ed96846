/**
 * The fleet simulation, short, in `npm test`: eight sources sharing one KV namespace (reads made
 * stale at random) and the lease (slow or unreachable now and then), for six simulated hours,
 * against one source alone. `npm run simulate` runs the 24-hour version for every provider, with
 * KV only and late refresh windows beside it (docs/stores.md has its figures).
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { papaya, paymentsGate } from "../../src/index.ts";
import { type FleetOptions, type FleetReport, HOUR, simulateFleet } from "./fleet.ts";

const FLEET: Omit<FleetOptions, "run" | "provider"> = {
  sources: 8,
  durationMs: 6 * HOUR,
  stepMs: 1_000,
  requestChance: 0.1,
  leases: env.TOKEN_LEASES,
  kv: env.TOKENS,
  // As in the 24-hour run.
  staleChance: 0.3,
  staleMs: 60_000,
  leaseFailChance: 0.02,
  leaseSlowChance: 0.05,
  slowLeaseMs: 5_000,
  seed: 11,
};

/** The fleet, and one source alone (no faults: it has nobody to disagree with). */
async function both(run: string, provider: FleetOptions["provider"]): Promise<FleetReport[]> {
  const alone = await simulateFleet({
    ...FLEET,
    run: `${run}-alone`,
    provider,
    sources: 1,
    requestChance: 0.5,
    leases: undefined,
    staleChance: 0,
  });
  return [alone, await simulateFleet({ ...FLEET, run, provider })];
}

/** The guarantees: nothing expired, no rotating handle twice, no waiting but at a cold start. */
function holds(fleet: FleetReport): void {
  expect(fleet.requests).toBeGreaterThan(10_000);
  expect(fleet.storeStaleReads).toBeGreaterThan(0); // the faults did happen
  expect(fleet.leaseFaults).toBeGreaterThan(0);
  expect(fleet.expiredServed).toBe(0);
  expect(fleet.refreshTokenReuse).toBe(0);
  // A source that had a token never waited on the provider; one that had none yet (the fleet's
  // first minute, when a stale store read may still be empty) may have.
  expect(fleet.waitedOnProvider - fleet.waitedCold).toBe(0);
}

describe("a fleet of token sources, 6 simulated hours", () => {
  it("PaymentsGate: costs what one source alone costs, never redeems a refresh token twice", async () => {
    const [alone, fleet] = await both("fleet-test-paymentsgate", () =>
      paymentsGate({
        accountId: "00000000-0000-4000-8000-000000000001",
        publicKey: "ZGVtby1wdWJsaWMta2V5",
        baseUrl: "http://127.0.0.1:8788/paymentsgate",
      }),
    );
    if (alone === undefined || fleet === undefined) throw new Error("no report");
    holds(fleet);
    expect(alone.authCalls).toBeGreaterThanOrEqual(alone.tokenLifetimes);
    // One provider: at most one call more than one source alone.
    expect(fleet.authCalls).toBeLessThanOrEqual(alone.authCalls + 1);
  }, 120_000);

  it("Papaya, 10-minute tokens: no call beyond the renewals but a cold start", async () => {
    const [alone, fleet] = await both("fleet-test-papaya-10min", () =>
      papaya({
        apiKey: "demo-papaya-key",
        clientSecret: "demo-papaya-secret",
        expiration: 600, // Papaya's expiry is to the minute: 9 to 10 minutes
        baseUrl: "http://127.0.0.1:8788/papaya",
      }),
    );
    if (alone === undefined || fleet === undefined) throw new Error("no report");
    holds(fleet);
    // Every call is the first, a renewal, or one cold start: none from a stale store read or a
    // lease fault (before the token was served on through those: 16 more in these six hours).
    expect(fleet.authCalls - fleet.calls.first - fleet.calls.renewal).toBeLessThanOrEqual(1);
    // Under the lease the sources agree on the token's refresh point (`tokenDraw`): the fleet's
    // figure is one source's, ~56 renewals (it was the earliest of eight jittered points).
    expect(fleet.authCalls).toBeLessThanOrEqual(fleet.fleetServiceLives + 1);
    expect(alone.authCalls).toBeLessThanOrEqual(alone.tokenServiceLives + 1);
  }, 120_000);
});
