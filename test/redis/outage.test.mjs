// Redis killed and restarted (empty) mid-run, then the Upstash endpoint unreachable: the token
// sources of a group of processes go on without Redis within their bounds (each on its own,
// spending no shared refresh token), serve nothing expired, and share one provider call per
// refresh again once Redis is back. Processes that start cold during an outage get a token
// within `deadlineMs`, whether the client fails at once (node-redis without its offline queue,
// Upstash answering 503) or hangs (node-redis's offline queue, Upstash unreachable).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startEmulatorServer } from "./emulator-server.mjs";
import { MINUTE, startFleet, T0 } from "./fleet.mjs";
import { startRedis } from "./redis-server.mjs";
import { startUpstashShim } from "./upstash-shim.mjs";

const OPTIONS = { deadlineMs: 2_000, leaseMs: 2_000, refreshAhead: 0.25, refreshJitter: 0 };
const END = 240 * MINUTE;
const REDIS_DOWN = [40 * MINUTE, 70 * MINUTE];
const UPSTASH_DOWN = [150 * MINUTE, 200 * MINUTE];

/** @type {Awaited<ReturnType<typeof startRedis>>} */
let redis;
/** @type {Awaited<ReturnType<typeof startUpstashShim>>} */
let shim;
/** @type {Awaited<ReturnType<typeof startEmulatorServer>>} */
let emulator;
let at = T0;

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

/** @param {number} offset @param {number[]} window */
const within = (offset, [from = 0, to = 0]) => offset >= from && offset < to;

/** When the emulator saw each PaymentsGate auth call, in minutes from T0. */
function callMinutes() {
  return emulator.counts.log
    .filter((entry) => entry.path.startsWith("/paymentsgate/"))
    .map((entry) => (entry.at - T0) / MINUTE);
}

/** PaymentsGate auth calls the emulator saw in [from, to) (offsets from T0). */
function callsBetween(/** @type {number} */ from, /** @type {number} */ to) {
  return emulator.counts.log.filter(
    (entry) =>
      entry.path.startsWith("/paymentsgate/") && entry.at >= T0 + from && entry.at < T0 + to,
  ).length;
}

test("Redis down, restarted empty, Upstash unreachable: fallback within the bound, nothing expired, recovery", async () => {
  const pg = /** @type {const} */ ("paymentsgate");
  const fleet = await startFleet({
    groups: [
      {
        sources: [
          { provider: pg, adapter: "node", name: "warm node-redis" },
          { provider: pg, adapter: "upstash", name: "warm upstash" },
          {
            provider: pg,
            adapter: "node",
            name: "cold node-redis, Redis down",
            from: T0 + 50 * MINUTE,
          },
        ],
      },
      {
        offlineQueue: true,
        sources: [
          { provider: pg, adapter: "node", name: "warm node-redis, offline queue" },
          {
            provider: pg,
            adapter: "node",
            name: "cold node-redis with offline queue, Redis down",
            from: T0 + 50 * MINUTE,
          },
        ],
      },
      {
        sources: [
          { provider: pg, adapter: "upstash", name: "warm upstash" },
          {
            provider: pg,
            adapter: "upstash",
            name: "cold upstash, Redis down",
            from: T0 + 50 * MINUTE,
          },
          {
            provider: pg,
            adapter: "upstash",
            name: "cold upstash, Upstash unreachable",
            from: T0 + 160 * MINUTE,
          },
        ],
      },
    ],
    redisUrl: redis.url,
    upstash: { url: shim.url, token: shim.token },
    emulatorUrl: emulator.url,
    options: OPTIONS,
    at,
    prefix: "outage:",
  });
  /** @type {Record<string, number>} the first get() of each cold source, real ms */
  const coldMs = {};
  let slowestWarmMs = 0;
  /** @type {Record<string, number>} the longest step (requests and the work behind them), real ms */
  const slowestStepMs = {};
  try {
    for (let offset = 0; offset < END; offset += MINUTE) {
      at = T0 + offset;
      if (offset === REDIS_DOWN[0]) await redis.stop();
      if (offset === REDIS_DOWN[1]) await redis.start();
      if (offset === UPSTASH_DOWN[0]) await shim.stop();
      if (offset === UPSTASH_DOWN[1]) await shim.start();
      const began = performance.now();
      const { results } = await fleet.step(at);
      const stepMs = performance.now() - began;
      for (const result of results) {
        if (result.cold && result.name.startsWith("cold"))
          coldMs[result.name] = Math.round(result.ms);
        else if (!result.cold) slowestWarmMs = Math.max(slowestWarmMs, result.ms);
      }
      const window = within(offset, REDIS_DOWN)
        ? "Redis down"
        : within(offset, UPSTASH_DOWN)
          ? "Upstash unreachable"
          : "Redis up";
      slowestStepMs[window] = Math.max(slowestStepMs[window] ?? 0, Math.round(stepMs));
    }
    const events = await fleet.events();
    const { totals } = fleet;
    const figures = {
      sources: 8,
      processes: 3,
      requests: totals.requests,
      failed: totals.failed,
      expiredServed: totals.expiredServed,
      belowFloorServed: totals.belowFloorServed,
      slowestWarmGetMs: Math.round(slowestWarmMs),
      coldFirstGetMs: coldMs,
      slowestStepMs,
      authCallMinutes: callMinutes(),
      authCalls: {
        beforeOutage: callsBetween(0, REDIS_DOWN[0]),
        redisDown: callsBetween(REDIS_DOWN[0], REDIS_DOWN[1]),
        redisBack: callsBetween(REDIS_DOWN[1], UPSTASH_DOWN[0]),
        upstashUnreachable: callsBetween(UPSTASH_DOWN[0], UPSTASH_DOWN[1]),
        upstashBack: callsBetween(UPSTASH_DOWN[1], END),
      },
      refreshTokenReuse: emulator.counts.refreshReuse,
      refreshRefused: emulator.counts.refreshRefused,
      lease: events.lease,
      storeFailed: events.storeFailed,
    };
    console.log(`REDIS OUTAGE ${JSON.stringify(figures)}`);
    // Every request got a token, none expired, none below the floor.
    assert.equal(totals.failed, 0, JSON.stringify(totals.failures));
    assert.equal(totals.expiredServed, 0);
    assert.equal(totals.belowFloorServed, 0);
    // Warm sources never waited: their refresh ran behind the token they had.
    assert.equal(events.waitedAfterFirst, 0);
    assert.ok(slowestWarmMs < 100, `a warm get() took ${slowestWarmMs} ms`);
    // A cold process gets its token within the deadline, however Redis fails.
    for (const [name, ms] of Object.entries(coldMs)) {
      assert.ok(ms < OPTIONS.deadlineMs, `${name}: ${ms} ms`);
    }
    assert.equal(Object.keys(coldMs).length, 4);
    // Without Redis, each source obtained for itself (no shared refresh token spent)…
    assert.ok(events.lease.unavailable > 0);
    assert.equal(emulator.counts.refreshReuse, 0);
    assert.equal(emulator.counts.refreshRefused, 0);
    // Without Redis, each source at most once per refresh interval (7 active, then 4 of them on
    // Upstash plus the node-redis sources' one shared call).
    assert.ok(figures.authCalls.redisDown <= 7, `${figures.authCalls.redisDown}`);
    assert.ok(figures.authCalls.upstashUnreachable <= 5, `${figures.authCalls.upstashUnreachable}`);
    // With Redis back (and Upstash reachable), the group calls as one source: never two calls
    // less than a refresh interval (45 min here) apart.
    const interval = 45;
    for (const window of [REDIS_DOWN[1], UPSTASH_DOWN[1]]) {
      const calls = callMinutes().filter((minute) => minute * MINUTE >= window);
      const end = window === REDIS_DOWN[1] ? UPSTASH_DOWN[0] / MINUTE : END / MINUTE;
      const inWindow = calls.filter((minute) => minute < end);
      for (let i = 1; i < inWindow.length; i++) {
        const gap = /** @type {number} */ (inWindow[i]) - /** @type {number} */ (inWindow[i - 1]);
        assert.ok(gap >= interval, `calls at ${inWindow.join(", ")} min`);
      }
      assert.ok(inWindow.length >= 1);
    }
  } finally {
    await fleet.stop();
  }
});
