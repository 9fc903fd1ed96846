// Several token sources in separate processes share one real Redis — half through node-redis
// over TCP, half through the real @upstash/redis client over HTTP — and one emulator: the
// whole group makes the auth calls one source alone would, and spends every PaymentsGate
// rotating refresh token exactly once.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startEmulatorServer } from "./emulator-server.mjs";
import { HOUR, MINUTE, startFleet, T0 } from "./fleet.mjs";
import { startRedis } from "./redis-server.mjs";
import { startUpstashShim } from "./upstash-shim.mjs";

const PROCESSES = 4;
const DURATION = 6 * HOUR;
const STEP = 2 * MINUTE;
const LIFETIME = HOUR; // both PaymentsGate's and (as configured) Papaya's tokens
// The defaults, but no jitter: see aloneCalls().
const OPTIONS = { deadlineMs: 10_000, leaseMs: 15_000, refreshAhead: 0.25, refreshJitter: 0 };

/** @type {Awaited<ReturnType<typeof startRedis>>} */
let redis;
/** @type {Awaited<ReturnType<typeof startUpstashShim>>} */
let shim;
let at = T0;
/** @type {Awaited<ReturnType<typeof startEmulatorServer>>} */
let emulator;

before(async () => {
  redis = await startRedis();
  shim = await startUpstashShim(redis.url);
  emulator = await startEmulatorServer({ now: () => at });
});

after(async () => {
  await emulator?.close();
  await shim?.close();
  await redis?.close();
});

/**
 * The auth calls one source alone makes at these steps: one, then one each time the clock passes
 * the refresh point (`refreshAhead` of the lifetime before expiry; no jitter here, so every
 * source has the same refresh point and the group can be held to exactly this number).
 */
function aloneCalls() {
  let calls = 0;
  let refreshAt = Number.NEGATIVE_INFINITY;
  for (let t = 0; t < DURATION; t += STEP) {
    if (t < refreshAt) continue;
    calls += 1;
    refreshAt = t + LIFETIME * (1 - OPTIONS.refreshAhead);
  }
  return calls;
}

test("a group of processes on one Redis makes the auth calls of one source alone", async () => {
  const alone = aloneCalls();
  const perProcess = [
    { provider: "paymentsgate", adapter: "node" },
    { provider: "paymentsgate", adapter: "upstash" },
    { provider: "papaya", adapter: "node" },
    { provider: "papaya", adapter: "upstash" },
  ];
  const started = performance.now();
  const fleet = await startFleet({
    groups: Array.from({ length: PROCESSES }, () => ({ sources: perProcess })),
    redisUrl: redis.url,
    upstash: { url: shim.url, token: shim.token },
    emulatorUrl: emulator.url,
    options: OPTIONS,
    at,
    prefix: "group:",
  });
  try {
    for (at = T0; at < T0 + DURATION; at += STEP) await fleet.step(at);
    const events = await fleet.events();
    const { totals } = fleet;
    const figures = {
      processes: PROCESSES,
      sources: PROCESSES * perProcess.length,
      hours: DURATION / HOUR,
      tokenLifetimes: DURATION / LIFETIME,
      requests: totals.requests,
      authCalls: {
        paymentsgate: emulator.authCalls("/paymentsgate/"),
        papaya: emulator.authCalls("/papaya/"),
      },
      aloneAuthCalls: alone,
      paymentsgateIssued: emulator.counts.auth["/paymentsgate/auth/token"] ?? 0,
      paymentsgateRefreshed: emulator.counts.auth["/paymentsgate/auth/token/refresh"] ?? 0,
      refreshTokenReuse: emulator.counts.refreshReuse,
      refreshRefused: emulator.counts.refreshRefused,
      expiredServed: totals.expiredServed,
      waitedAfterFirst: events.waitedAfterFirst,
      lease: events.lease,
      storeFailed: events.storeFailed,
      realSeconds: Math.round((performance.now() - started) / 100) / 10,
    };
    console.log(`REDIS GROUP ${JSON.stringify(figures)}`);
    assert.equal(totals.failed, 0, JSON.stringify(totals.failures));
    assert.equal(totals.expiredServed, 0);
    assert.equal(totals.belowFloorServed, 0);
    assert.equal(totals.unsettledSteps, 0);
    assert.equal(events.storeFailed, 0);
    // Nobody waited on a provider call once it had its first token: refreshes ran behind it.
    assert.equal(events.waitedAfterFirst, 0);
    // Sixteen sources in four processes, the auth calls of one source alone.
    assert.deepEqual(figures.authCalls, { paymentsgate: alone, papaya: alone });
    // PaymentsGate: issued once, then refreshed along one unbroken chain of refresh tokens.
    assert.equal(figures.paymentsgateIssued, 1);
    assert.equal(figures.refreshTokenReuse, 0);
    assert.equal(figures.refreshRefused, 0);
  } finally {
    await fleet.stop();
  }
});
