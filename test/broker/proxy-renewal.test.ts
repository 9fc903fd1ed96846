/**
 * When the provider refuses its own token at the proxy (revoked early, or the provider restarted
 * and forgot it), callers must get through again at once — in every isolate, for requests already
 * in flight, and however recently the token was renewed — while 401s the caller provokes still
 * cannot buy auth calls (proxy-upstream.test.ts).
 */
import { beforeEach, describe, expect, it } from "vitest";
import { brokerWorld, quietLogs, SHOP, type World } from "../support/broker.ts";

const TRANSACT = "/proxy/ipospays/api/v3/iposTransact";
const AUTH = "POST /ipospays/v1/authenticate-token";

beforeEach(() => quietLogs());

function payment(token: string): RequestInit {
  return {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ amount: 1250 }),
  };
}

function revokeTheProviderToken(world: World): void {
  const used = world.outbound.filter((request) => request.url.endsWith("/iposTransact")).at(-1);
  world.emulator.revoke(used?.headers.get("token") ?? "");
}

describe("a provider token the provider refuses, at the proxy", () => {
  it("is renewed in every isolate, also in one that sees the 401 after another renewed", async () => {
    const world = await brokerWorld();
    const token = (await world.token(SHOP)).access_token;
    const other = world.isolate();
    expect((await world.send(TRANSACT, payment(token))).status).toBe(200);
    expect((await other(TRANSACT, payment(token))).status).toBe(200);
    revokeTheProviderToken(world);
    world.clock.advance(60_000);
    expect((await world.send(TRANSACT, payment(token))).status).toBe(200);
    const seen: number[] = [];
    for (const step of [0, 61_000, 3_600_000]) {
      world.clock.advance(step);
      const fresh = (await world.token(SHOP)).access_token;
      seen.push((await other(TRANSACT, payment(fresh))).status);
    }
    expect(seen).toEqual([200, 200, 200]);
  });

  it("is renewed however recently the last renewal was", async () => {
    const world = await brokerWorld();
    const token = (await world.token(SHOP)).access_token;
    expect((await world.send(TRANSACT, payment(token))).status).toBe(200);
    revokeTheProviderToken(world);
    world.clock.advance(60_000);
    expect((await world.send(TRANSACT, payment(token))).status).toBe(200);
    // The provider forgets the new token 20 s later (a restart): the next payment goes through.
    world.clock.advance(20_000);
    revokeTheProviderToken(world);
    expect((await world.send(TRANSACT, payment(token))).status).toBe(200);
    expect(world.emulator.calls()[AUTH]).toBe(3);
  });

  it("is renewed once for every request that carried it, and each is replayed", async () => {
    const world = await brokerWorld();
    const token = (await world.token(SHOP)).access_token;
    expect((await world.send(TRANSACT, payment(token))).status).toBe(200);
    revokeTheProviderToken(world);
    world.clock.advance(60_000);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => world.send(TRANSACT, payment(token))),
    );
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(world.emulator.calls()[AUTH]).toBe(2);
  });
});
