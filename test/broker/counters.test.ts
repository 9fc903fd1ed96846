/**
 * What an operator can see (issue 11): the provider token sources' own events as log lines and
 * counts, the audit and refusal lines counted, and `GET /counters` for operator clients — names
 * and numbers only, never a token or a secret.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { basic, brokerWorld, PAYROLL, quietLogs, SHOP, type World } from "../support/broker.ts";

let logs: ReturnType<typeof quietLogs>;
beforeEach(() => {
  logs = quietLogs();
});

interface Snapshot {
  since: string | null;
  counts: Record<string, number>;
}

async function counters(world: World, client = SHOP): Promise<Response> {
  return world.send("/counters", { headers: { Authorization: basic(client) } });
}

async function snapshot(world: World): Promise<Snapshot> {
  const response = await counters(world);
  expect(response.status).toBe(200);
  return response.json<Snapshot>();
}

/** Counts are per isolate (module state): the tests read what changed. */
function delta(before: Snapshot, after: Snapshot): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(after.counts)) {
    const change = value - (before.counts[name] ?? 0);
    if (change !== 0) out[name] = change;
  }
  return out;
}

function lines(): Array<Record<string, unknown>> {
  return [...logs.log.mock.calls, ...logs.warn.mock.calls]
    .map(([line]) => String(line))
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("counters and provider events", () => {
  it("count issuance, provider tokens, the source's events and refusals", async () => {
    const world = await brokerWorld();
    const before = await snapshot(world);
    await world.token(SHOP, { scope: "papaya:payments" });
    await world.post("/provider-token", SHOP, { scope: "papaya:payments" });
    await world.post("/provider-token", SHOP, { scope: "papaya:payments" });
    await world.post(
      "/oauth/token",
      { ...SHOP, secret: "wrong" },
      {
        grant_type: "client_credentials",
      },
    );
    const after = await snapshot(world);
    expect(delta(before, after)).toEqual({
      "token_issued{client=shop,scope=papaya:payments}": 1,
      "provider_token{client=shop,scope=papaya:payments}": 2,
      "provider.lease{provider=papaya,scope=payments,outcome=held}": 1,
      "provider.obtained{provider=papaya,scope=payments,outcome=provider}": 1,
      "provider.waited{provider=papaya,scope=payments,outcome=token}": 1,
      "auth_failed{client=shop}": 1,
    });
    expect(after.since).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it("a provider outage shows as provider_refresh_failed lines and counts", async () => {
    const world = await brokerWorld();
    world.emulator.addFault({ provider: "papaya", kind: "status", status: 503 });
    const before = await snapshot(world);
    const answer = await world.post("/provider-token", SHOP, { scope: "papaya:payments" });
    expect(answer.status).toBe(503);
    const failed = lines().filter((line) => line.event === "provider_refresh_failed");
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]).toMatchObject({
      provider: "papaya",
      scope: "payments",
      code: "upstream_unavailable",
      serving: false,
    });
    const changed = delta(before, await snapshot(world));
    expect(
      changed[
        "provider.refresh_failed{provider=papaya,scope=payments,outcome=upstream_unavailable}"
      ],
    ).toBeGreaterThan(0);
  });

  it("GET /counters is for operator clients only, with their credentials", async () => {
    const world = await brokerWorld();
    // PAYROLL is a client, but not an operator.
    expect((await counters(world, PAYROLL)).status).toBe(403);
    expect((await world.send("/counters")).status).toBe(401);
    expect((await counters(world, { ...SHOP, secret: "wrong" })).status).toBe(401);
    expect((await world.send("/counters", { method: "POST" })).status).toBe(405);
  });

  it("carry no token and no secret", async () => {
    const world = await brokerWorld();
    const issued = await world.token(SHOP);
    const provider = await (
      await world.post("/provider-token", SHOP, { scope: "papaya:payments" })
    ).json<{ access_token: string }>();
    world.emulator.revoke(provider.access_token);
    world.clock.advance(60_000);
    await world.post("/provider-token", SHOP, {
      scope: "papaya:payments",
      refused_token: provider.access_token,
    });
    await world.cron();
    const text = [
      JSON.stringify(await snapshot(world)),
      ...lines().map((line) => JSON.stringify(line)),
    ].join("\n");
    expect(lines().some((line) => line.event === "counters")).toBe(true);
    // The renewal the complaint caused is in the log, as the source reported it.
    expect(lines().some((line) => line.event === "provider_renewing")).toBe(true);
    for (const secret of [
      issued.access_token,
      provider.access_token,
      SHOP.secret,
      "demo-papaya-secret",
      String(world.env.TOKEN_ENCRYPTION_KEY),
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/eyJ[\w-]{10,}\.[\w-]{10,}/);
  });
});
