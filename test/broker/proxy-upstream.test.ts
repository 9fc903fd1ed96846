/**
 * The proxy against an upstream that misbehaves: one that reflects the request (and with it the
 * provider's token), one that answers 401 to whatever the caller sends, one that never answers.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { brokerWorld, quietLogs, SHOP, type World } from "../support/broker.ts";

const TRANSACT = "/proxy/ipospays/api/v3/iposTransact";

beforeEach(() => {
  quietLogs();
});

async function bearer(world: World): Promise<string> {
  return (await world.token(SHOP)).access_token;
}

function pay(world: World, token: string) {
  return world.send(TRANSACT, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: '{"amount":1250}',
  });
}

describe("a hostile or slow upstream", () => {
  const API = /\/(api\/v3\/iposTransact|v1\/payments.*)$/;

  it("an upstream that reflects the request gets the provider's token out of what the caller sees", async () => {
    let providerToken = "";
    const world = await brokerWorld({
      fetch: (next) => async (input, init) => {
        const request = new Request(input, init);
        if (!API.test(new URL(request.url).pathname)) return next(request);
        const sent = Object.fromEntries(request.headers);
        const token = request.headers.get("token") ?? "";
        providerToken = token;
        return Response.json(
          { echoed: sent, escaped: JSON.stringify(sent) },
          { headers: { "x-request-id": token, "x-echo": token, "retry-after": "1" } },
        );
      },
    });
    const response = await pay(world, await bearer(world));
    expect(providerToken).toMatch(/^ey/);
    const text = await response.text();
    expect(text).not.toContain(providerToken);
    expect(JSON.parse(text)).toMatchObject({ echoed: { token: "[redacted]" } });
    expect([...response.headers].join("\n")).not.toContain(providerToken);
    expect(response.headers.get("x-request-id")).toBeNull();
    expect(response.headers.get("retry-after")).toBe("1");
  });

  it("an upstream answering 401 to whatever the caller sends does not buy an auth call a second", async () => {
    const world = await brokerWorld({
      fetch: (next) => async (input, init) => {
        const request = new Request(input, init);
        if (!API.test(new URL(request.url).pathname)) return next(request);
        return Response.json({ error: "unauthorized" }, { status: 401 });
      },
    });
    const token = await bearer(world);
    const statuses = new Set<number>();
    for (let second = 0; second < 150; second++) {
      const response = await world.send("/proxy/papaya/v1/payments/not-ours", {
        headers: { Authorization: `Bearer ${token}` },
      });
      statuses.add(response.status);
      world.clock.advance(1_000);
      if (second % 100 === 99) {
        // Page tokens run out; the caller gets a new one.
        expect((await world.token(SHOP)).access_token).toBeTruthy();
      }
    }
    expect([...statuses]).toEqual([401]);
    // One token, then at most one renewal a minute: 150 s of 401s cost three auth calls at most.
    expect(world.emulator.calls()["POST /papaya/token"]).toBeLessThanOrEqual(3);
  });

  it("an upstream that does not answer in time is a 504 upstream_timeout, headers or body", async () => {
    const never = new Promise<Response>(() => {});
    const world = await brokerWorld({
      proxyTimeoutMs: 200,
      fetch: (next) => async (input, init) => {
        const request = new Request(input, init);
        const path = new URL(request.url).pathname;
        if (path.endsWith("/iposTransact")) return never;
        if (API.test(path)) {
          // Headers at once, then a body that never ends.
          return new Response(new ReadableStream({ start() {} }), {
            headers: { "content-type": "application/json" },
          });
        }
        return next(request);
      },
    });
    const token = await bearer(world);
    const started = Date.now();
    const silent = await pay(world, token);
    expect(silent.status).toBe(504);
    expect(await silent.json()).toEqual({
      error: "upstream_timeout",
      error_description: "ipospays did not answer in time.",
    });
    const trickling = await world.send("/proxy/papaya/v1/payments", {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(trickling.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
