/**
 * `POST /demo/token`, the demo checkout page's stand-in backend, and the library's `broker()`
 * provider using it the way the page does: a narrowed token, then a payment through the proxy.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { broker, createTokenSource } from "../../src/index.ts";
import { brokerWorld, ISSUER, PAYROLL, payloadOf, quietLogs, SHOP } from "../support/broker.ts";

beforeEach(() => {
  quietLogs();
});

const SCOPE = "ipospays:PaymentTokenization";

function session(world: Awaited<ReturnType<typeof brokerWorld>>, body: string, origin?: string) {
  return world.send("/demo/token", {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      ...(origin === undefined ? {} : { Origin: origin }),
    },
    body,
  });
}

describe("POST /demo/token", () => {
  it("is not there unless DEMO_CLIENT_ID names a client", async () => {
    const world = await brokerWorld();
    expect((await session(world, `scope=${SCOPE}`)).status).toBe(404);
  });

  it("refuses a DEMO_CLIENT_ID that names no client, naming the var", async () => {
    const world = await brokerWorld({ vars: { DEMO_CLIENT_ID: "nobody" } });
    const response = await session(world, `scope=${SCOPE}`);
    expect(response.status).toBe(503);
    expect(await response.text()).toContain("DEMO_CLIENT_ID");
  });

  it("issues a two-minute token narrowed to one scope, for the demo client", async () => {
    const world = await brokerWorld({ vars: { DEMO_CLIENT_ID: SHOP.id } });
    const response = await session(world, `scope=${SCOPE}`, ISSUER);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = (await response.json()) as {
      access_token: string;
      expires_in: number;
      scope: string;
    };
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 120, scope: SCOPE });
    const claims = payloadOf(body.access_token);
    expect(claims).toMatchObject({ client_id: SHOP.id, scope: SCOPE, iss: ISSUER });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(120);
  });

  it("refuses other origins, several scopes, and scopes the client may not have", async () => {
    const world = await brokerWorld({ vars: { DEMO_CLIENT_ID: PAYROLL.id } });
    expect((await session(world, "scope=papaya:payments", "https://evil.example")).status).toBe(
      403,
    );
    const several = await session(world, "scope=papaya:payments+ipospays:Recurring");
    expect(several.status).toBe(400);
    expect(await several.json()).toMatchObject({ error: "invalid_request" });
    const notAllowed = await session(world, `scope=${SCOPE}`);
    expect(notAllowed.status).toBe(400);
    expect(await notAllowed.json()).toMatchObject({ error: "invalid_scope" });
  });

  it("serves the page's broker() provider: token from the session URL, payment through the proxy", async () => {
    const world = await brokerWorld({ vars: { DEMO_CLIENT_ID: SHOP.id } });
    const fetch = (input: Request | string | URL, init?: RequestInit): Promise<Response> => {
      const request = new Request(input, init);
      const url = new URL(request.url);
      return world.send(`${url.pathname}${url.search}`, request);
    };
    const source = createTokenSource(
      broker({ brokerUrl: ISSUER, scope: SCOPE, sessionUrl: `${ISSUER}/demo/token` }),
      { runtime: { fetch, now: world.clock.now } },
    );
    const token = await source.get();
    expect(token.expiresAt - world.clock.now()).toBe(120_000);
    const paid = await source.fetch(`${ISSUER}/proxy/ipospays/api/v3/iposTransact`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ amount: 1250 }),
    });
    expect(paid.status).toBe(200);
    expect(await paid.json()).toMatchObject({ iposhpresponse: { amount: 1250 } });

    // After the token was renewed, the next payment goes through with the new one.
    await source.invalidate();
    const renewed = await source.get();
    expect(renewed.value).not.toBe(token.value);
    const again = await source.fetch(`${ISSUER}/proxy/ipospays/api/v3/iposTransact`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ amount: 990 }),
    });
    expect(again.status).toBe(200);
  });
});

describe("the demo page's payment through the proxy, with an Idempotency-Key", () => {
  it("reaches the emulator with its key: the same key again is the same payment, not a second", async () => {
    const world = await brokerWorld({ vars: { DEMO_CLIENT_ID: SHOP.id } });
    const page = (await (await session(world, `scope=${SCOPE}`, ISSUER)).json()) as {
      access_token: string;
    };
    const pay = (key: string) =>
      world.send("/proxy/ipospays/api/v3/iposTransact", {
        method: "POST",
        headers: {
          Authorization: `Bearer ${page.access_token}`,
          "Content-Type": "application/json",
          "Idempotency-Key": key,
        },
        body: JSON.stringify({ transactionRequest: { transactionType: 1, amount: "1250" } }),
      });
    const referenceOf = async (response: Response) => {
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        iposhpresponse: { transactionReferenceId: string };
      };
      return body.iposhpresponse.transactionReferenceId;
    };
    const firstAnswer = await pay("attempt-1");
    expect(firstAnswer.headers.get("idempotent-replayed")).toBeNull();
    const first = await referenceOf(firstAnswer);
    const replay = await pay("attempt-1");
    // The provider's word that nothing was charged again crosses the proxy.
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    const retried = await referenceOf(replay);
    const next = await referenceOf(await pay("attempt-2"));
    expect(retried).toBe(first);
    expect(next).not.toBe(first);
    const sent = world.outbound.filter((request) => request.url.endsWith("/iposTransact"));
    expect(sent.map((request) => request.headers.get("idempotency-key"))).toEqual([
      "attempt-1",
      "attempt-1",
      "attempt-2",
    ]);
  });
});

describe("POST /demo/token and the demo client's own budget", () => {
  it("page sessions spend a budget of their own: anyone asking cannot lock the demo client out", async () => {
    const limited = { ...SHOP, rateLimit: { requests: 5, windowSeconds: 60 } };
    const world = await brokerWorld({ clients: [limited], vars: { DEMO_CLIENT_ID: SHOP.id } });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      statuses.push((await session(world, `scope=${SCOPE}`, ISSUER)).status);
    }
    expect(statuses).toContain(200);
    expect(statuses.at(-1)).toBe(429);
    // The client itself, with its secret, still gets its token.
    expect((await world.token(limited)).access_token).toBeTruthy();
  });
});
