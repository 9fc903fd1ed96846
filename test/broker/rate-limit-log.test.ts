/**
 * 429s under attack: one `rate_limited` line per budget per minute, the next one saying how many
 * had none (`suppressed`), every 429 counted — so 10,000 wrong secrets are not 10,000 lines, and
 * an operator still sees that they happened and how many.
 */
import { beforeEach, describe, expect, it, type MockInstance } from "vitest";
import { createRateLimitLog, RATE_LIMIT_LOG_KEYS } from "../../worker/rate-limit-log.ts";
import {
  basic,
  brokerWorld,
  limitedClient,
  quietLogs,
  SHOP,
  type World,
} from "../support/broker.ts";

let warn: MockInstance<typeof console.warn>;

beforeEach(() => {
  warn = quietLogs().warn;
});

function wrongSecret(world: World, address: string, i: number): Promise<Response> {
  return world.send("/oauth/token", {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      "CF-Connecting-IP": address,
      Authorization: basic({ ...SHOP, secret: `guess-${i}` }),
    },
    body: new URLSearchParams({ grant_type: "client_credentials" }),
  });
}

function lines(from = 0): Record<string, unknown>[] {
  return warn.mock.calls.slice(from).map(([line]) => JSON.parse(String(line)));
}

function limited(from = 0): Record<string, unknown>[] {
  return lines(from).filter((line) => line.event === "rate_limited");
}

async function rateLimitedCount(world: World): Promise<number> {
  const response = await world.send("/counters", { headers: { Authorization: basic(SHOP) } });
  const { counts } = await response.json<{ counts: Record<string, number> }>();
  return counts.rate_limited ?? 0;
}

describe("rate_limited lines, collapsed", () => {
  it("1,000 wrong secrets from one source over 90 s: two rate_limited lines, the second counting the rest; every 429 counted", async () => {
    const world = await brokerWorld({ clients: [{ ...SHOP, operator: true }] });
    const address = "203.0.113.80";
    const countedBefore = await rateLimitedCount(world);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 1000; i++) {
      const { status } = await wrongSecret(world, address, i);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      // 90 s in all: the failure budget lets one more attempt through every 3 s.
      world.clock.advance(90);
    }
    const refused = statuses.get(429) ?? 0;
    expect(refused).toBeGreaterThan(900);
    const all = lines();
    // The failed comparisons keep their lines: the failure budget bounds them (20 at once, then
    // per 3 s one that is let through and one that is compared before the object refuses it).
    const failed = all.filter((line) => line.event === "auth_failed").length;
    expect(failed).toBeGreaterThanOrEqual(statuses.get(401) ?? 0);
    expect(failed).toBeLessThanOrEqual(20 + 2 * 30);
    const rate = limited();
    expect(rate).toHaveLength(2);
    expect(rate[0]).toMatchObject({ limiter: `failures from ${address}`, retry_after: 2 });
    expect(rate[0]).not.toHaveProperty("suppressed");
    expect(rate[1]).toMatchObject({ limiter: `failures from ${address}` });
    // The first line of the second minute tells the first minute's rest.
    expect(rate[1]?.suppressed).toBeGreaterThan(600);
    // The ones after it are told at the cron, once their minute is over.
    world.clock.advance(60_000);
    await world.cron();
    const settled = limited(all.length);
    expect(settled).toHaveLength(1);
    expect(settled[0]).not.toHaveProperty("retry_after");
    const told = [...rate, ...settled].reduce(
      (sum, line) => sum + 1 + Number(line.suppressed ?? 0),
      0,
    );
    // Each summary stands for its 429s without their own line; the lines that open a minute for one.
    expect(told).toBe(refused + settled.length);
    expect((await rateLimitedCount(world)) - countedBefore).toBe(refused);
  });

  it("a client over its own budget: one line at once, the rest counted into the next", async () => {
    const client = limitedClient("limited-log", 2);
    const world = await brokerWorld({ clients: [client] });
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const response = await world.send("/oauth/token", {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Authorization: basic(client),
        },
        body: new URLSearchParams({ grant_type: "client_credentials" }),
      });
      statuses.push(response.status);
    }
    expect(statuses.filter((status) => status === 429)).toHaveLength(28);
    expect(limited()).toEqual([
      expect.objectContaining({ event: "rate_limited", limiter: client.id, retry_after: 30 }),
    ]);
    world.clock.advance(61_000);
    await world.cron();
    expect(limited()).toHaveLength(2);
    expect(limited()[1]).toMatchObject({ limiter: client.id, suppressed: 27 });
  });

  it("tracks at most RATE_LIMIT_LOG_KEYS budgets; one pushed out tells its count first", () => {
    const log = createRateLimitLog();
    const t0 = Date.UTC(2026, 0, 1);
    log.refused("failures from 198.51.100.1", 3, t0);
    log.refused("failures from 198.51.100.1", 3, t0 + 1);
    log.refused("failures from 198.51.100.1", 3, t0 + 2);
    expect(limited()).toHaveLength(1);
    for (let i = 0; i < RATE_LIMIT_LOG_KEYS; i++) log.refused(`failures from 10.0.${i}`, 3, t0 + 3);
    const rate = limited();
    // One line per new budget, and the oldest's summary when it was pushed out.
    expect(rate).toHaveLength(RATE_LIMIT_LOG_KEYS + 2);
    expect(rate.at(-1)).toMatchObject({ limiter: "failures from 198.51.100.1", suppressed: 2 });
    // Pushed out and forgotten: its next 429 is a first line again.
    log.refused("failures from 198.51.100.1", 3, t0 + 4);
    expect(limited().at(-1)).toEqual({
      event: "rate_limited",
      limiter: "failures from 198.51.100.1",
      retry_after: 3,
      at: new Date(t0 + 4).toISOString(),
    });
  });

  it("a clock moved back does not keep a budget quiet", () => {
    const log = createRateLimitLog();
    const t0 = Date.UTC(2026, 0, 1);
    log.refused("shop", 5, t0);
    log.refused("shop", 5, t0 - 10_000);
    expect(limited()).toHaveLength(2);
  });
});
