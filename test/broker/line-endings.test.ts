/**
 * How the broker's JSON ends. Its own answers (tokens, errors, metadata, the index, counters)
 * end with a newline, so curl leaves the shell prompt on a line of its own. A provider's answer
 * relayed by the proxy is the provider's bytes, with nothing added.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { basic, brokerWorld, quietLogs, SHOP, type World } from "../support/broker.ts";

beforeEach(() => {
  quietLogs();
});

async function ownJson(response: Response, label: string): Promise<unknown> {
  expect(response.headers.get("content-type"), label).toMatch(/json/);
  const text = await response.text();
  expect(text.endsWith("}\n"), `${label}: ${JSON.stringify(text.slice(-20))}`).toBe(true);
  expect(text.slice(0, -1)).not.toMatch(/\n/);
  return JSON.parse(text);
}

async function accessToken(world: World): Promise<string> {
  const response = await world.post("/oauth/token", SHOP, { grant_type: "client_credentials" });
  const { access_token } = (await ownJson(response, "POST /oauth/token")) as {
    access_token: string;
  };
  return access_token;
}

describe("the broker's own JSON", () => {
  it("ends with a newline: discovery, health, counters", async () => {
    const world = await brokerWorld();
    for (const path of [
      "/",
      "/.well-known/oauth-authorization-server",
      "/.well-known/jwks.json",
      "/healthz",
    ]) {
      await ownJson(await world.send(path), `GET ${path}`);
    }
    await ownJson(
      await world.send("/counters", { headers: { Authorization: basic(SHOP) } }),
      "GET /counters",
    );
  });

  it("ends with a newline: tokens, introspection, provider tokens", async () => {
    const world = await brokerWorld();
    const token = await accessToken(world);
    await ownJson(
      await world.post("/oauth/introspect", SHOP, { token }),
      "POST /oauth/introspect (active)",
    );
    await ownJson(
      await world.post("/oauth/introspect", SHOP, { token: "not-a-token" }),
      "POST /oauth/introspect (inactive)",
    );
    await ownJson(
      await world.post("/provider-token", SHOP, { scope: "papaya:payments" }),
      "POST /provider-token",
    );
  });

  it("ends with a newline: refusals, 404 and 405", async () => {
    const world = await brokerWorld();
    await ownJson(
      await world.post("/oauth/token", undefined, { grant_type: "client_credentials" }),
      "401",
    );
    await ownJson(
      await world.post("/oauth/token", SHOP, { grant_type: "password" }),
      "400 unsupported_grant_type",
    );
    await ownJson(await world.send("/nowhere"), "404");
    await ownJson(await world.send("/oauth/token"), "405");
    await ownJson(await world.send("/proxy/papaya/v1/payments"), "proxy 401");
  });
});

describe("a provider's JSON through the proxy", () => {
  it("is the provider's bytes, with nothing added", async () => {
    const world = await brokerWorld();
    const token = await accessToken(world);
    const response = await world.send("/proxy/papaya/v1/payments", {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toBe(JSON.stringify(JSON.parse(text)));
  });
});
