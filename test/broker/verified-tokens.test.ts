/**
 * Tokens that verified are remembered per isolate (`worker/tokens/verify.ts`), so a token used
 * again and again costs one signature check — and remembering changes no answer: a remembered
 * token still expires on time, is still refused where its audience is not, and is still refused
 * once revoked.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { brokerWorld, quietLogs, SHOP, type World } from "../support/broker.ts";

beforeEach(() => {
  quietLogs();
});

const TRANSACT = "/proxy/ipospays/api/v3/iposTransact";

function transact(world: World, token: string): Promise<Response> {
  return world.send(TRANSACT, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: '{"amount":1250}',
  });
}

async function active(world: World, token: string): Promise<unknown> {
  const response = await world.post("/oauth/introspect", SHOP, { token });
  return (await response.json<{ active: boolean }>()).active;
}

describe("a remembered token", () => {
  it("expires on time: accepted up to its last second, refused from exp on", async () => {
    const world = await brokerWorld();
    const { access_token, expires_in } = await world.token(SHOP);
    expect((await transact(world, access_token)).status).toBe(200);
    expect(await active(world, access_token)).toBe(true);
    world.clock.advance(expires_in * 1000 - 1);
    expect((await transact(world, access_token)).status).toBe(200);
    expect(await active(world, access_token)).toBe(true);
    world.clock.advance(1);
    expect((await transact(world, access_token)).status).toBe(401);
    expect(await active(world, access_token)).toBe(false);
  });

  it("verified at introspection (any audience of ours) is still refused by the proxy when it is not for the proxy", async () => {
    const world = await brokerWorld();
    const { access_token } = await world.token(SHOP, { resource: "https://payments.example" });
    expect(await active(world, access_token)).toBe(true);
    expect(await active(world, access_token)).toBe(true);
    expect((await transact(world, access_token)).status).toBe(401);
  });

  it("is refused once revoked, though its signature was checked before", async () => {
    const world = await brokerWorld();
    const { access_token } = await world.token(SHOP);
    expect((await transact(world, access_token)).status).toBe(200);
    await world.post("/oauth/revoke", SHOP, { token: access_token });
    expect((await transact(world, access_token)).status).toBe(401);
    expect(await active(world, access_token)).toBe(false);
  });

  it("one altered byte is a different token: refused, whatever was remembered", async () => {
    const world = await brokerWorld();
    const { access_token } = await world.token(SHOP);
    expect((await transact(world, access_token)).status).toBe(200);
    // The signature's first character: every one of its bits counts.
    const at = access_token.lastIndexOf(".") + 1;
    const other = access_token[at] === "A" ? "B" : "A";
    const altered = `${access_token.slice(0, at)}${other}${access_token.slice(at + 1)}`;
    expect((await transact(world, altered)).status).toBe(401);
  });
});
