/**
 * `/proxy/<provider>/<path>`: the provider's token attached the provider's way, only for the
 * paths a scope needs, only what belongs upstream crossing over, and browsers let in by origin.
 */
import { beforeEach, describe, expect, it } from "vitest";
import {
  AUDIENCE,
  brokerWorld,
  PAYROLL,
  payloadOf,
  quietLogs,
  SHOP,
  UNREACHABLE,
  type World,
} from "../support/broker.ts";

const TRANSACT = "/proxy/ipospays/api/v3/iposTransact";
const ORIGIN = "https://shop.example";

beforeEach(() => {
  quietLogs();
});

async function bearer(world: World, params: Record<string, string> = {}): Promise<string> {
  return (await world.token(SHOP, params)).access_token;
}

function pay(
  world: World,
  token: string,
  headers: Record<string, string> = {},
  body = '{"amount":1250}',
) {
  return world.send(TRANSACT, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...headers },
    body,
  });
}

function upstreamCalls(world: World): number {
  return world.outbound.filter((request) => !/\/(authenticate-token|token)$/.test(request.url))
    .length;
}

describe("forwarding", () => {
  it("iPOSpays Transact gets the provider's token in its `token` header, and nothing of the caller's", async () => {
    const world = await brokerWorld();
    const token = await bearer(world);
    const response = await pay(world, token, {
      Cookie: "session=abc",
      token: "caller-supplied-token",
      "X-Forwarded-For": "203.0.113.9",
      "Idempotency-Key": "order-42",
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      iposhpresponse: { responseCode: "200", amount: 1250 },
    });
    const sent = world.outbound.find((request) => request.url.endsWith("/api/v3/iposTransact"));
    expect(sent?.url).toBe("http://127.0.0.1:8788/ipospays/api/v3/iposTransact");
    expect(sent?.headers.get("token")).toMatch(/^ey/);
    expect(sent?.headers.get("token")).not.toBe("caller-supplied-token");
    expect(sent?.headers.get("authorization")).toBeNull();
    expect(sent?.headers.get("cookie")).toBeNull();
    expect(sent?.headers.get("x-forwarded-for")).toBeNull();
    expect(sent?.headers.get("idempotency-key")).toBe("order-42");
    expect(sent?.headers.get("content-type")).toBe("application/json");
  });

  it("PaymentsGate and Papaya get the provider's token as Bearer; the query string goes along", async () => {
    const world = await brokerWorld();
    const token = await bearer(world);
    const deal = await world.send("/proxy/paymentsgate/deals/payin", {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ amount: 10, currency: "EUR" }),
    });
    expect(deal.status).toBe(200);
    expect(await deal.json()).toMatchObject({ status: "created" });
    const payments = await world.send("/proxy/papaya/v1/payments?page=2", {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(payments.status).toBe(200);
    const sent = world.outbound.filter((request) => /\/deals\/|\/v1\/payments/.test(request.url));
    expect(sent.map((request) => request.url)).toEqual([
      "http://127.0.0.1:8788/paymentsgate/deals/payin",
      "http://127.0.0.1:8788/papaya/v1/payments?page=2",
    ]);
    for (const request of sent) {
      const authorization = request.headers.get("authorization") ?? "";
      expect(authorization).toMatch(/^Bearer ey/);
      expect(authorization).not.toContain(token);
    }
  });

  it("answers with the provider's status and body, and a short list of its headers", async () => {
    const world = await brokerWorld();
    const response = await world.send("/proxy/papaya/v1/payments", {
      headers: { Authorization: `Bearer ${await bearer(world)}` },
    });
    const names = [...response.headers.keys()].sort();
    expect(names).toEqual(["content-type", "vary"]);
  });

  it("a provider token the API refuses is renewed once and the request replayed", async () => {
    const world = await brokerWorld();
    const token = await bearer(world);
    expect((await pay(world, token)).status).toBe(200);
    const used = world.outbound.find((request) => request.url.endsWith("/iposTransact"));
    world.emulator.revoke(used?.headers.get("token") ?? "");
    // Refused a while after it was obtained, so possibly the token's fault.
    world.clock.advance(60_000);
    const replayed = await pay(world, token);
    expect(replayed.status).toBe(200);
    expect(await replayed.json()).toMatchObject({ iposhpresponse: { amount: 1250 } });
    expect(world.emulator.calls()["POST /ipospays/api/v3/iposTransact"]).toBe(3);
  });

  it("a provider token refused the moment it was obtained is not renewed: 401s cannot buy auth calls", async () => {
    const world = await brokerWorld();
    const token = await bearer(world);
    expect((await pay(world, token)).status).toBe(200);
    const used = world.outbound.find((request) => request.url.endsWith("/iposTransact"));
    world.emulator.revoke(used?.headers.get("token") ?? "");
    const authCalls = world.emulator.calls()["POST /ipospays/v1/authenticate-token"];
    for (let i = 0; i < 5; i++) expect((await pay(world, token)).status).toBe(401);
    expect(world.emulator.calls()["POST /ipospays/v1/authenticate-token"]).toBe(authCalls);
  });

  it("a provider that cannot be reached is a 502; one that gives no token a 503", async () => {
    const down = await brokerWorld({
      vars: { IPOSPAYS_API_BASE_URL: `https://${UNREACHABLE}/ipospays` },
    });
    const unreachable = await pay(down, await bearer(down));
    expect(unreachable.status).toBe(502);
    expect(await unreachable.json()).toMatchObject({ error: "bad_gateway" });

    const refusing = await brokerWorld();
    refusing.emulator.addFault({
      provider: "ipospays",
      endpoint: "token",
      kind: "status",
      status: 500,
    });
    const noToken = await pay(refusing, await bearer(refusing));
    expect(noToken.status).toBe(503);
  });
});

describe("upstream redirects", () => {
  it("a provider answering 307 to another host never gets the provider token sent there", async () => {
    const stolen: Array<string | null> = [];
    const modes: string[] = [];
    const world = await brokerWorld({
      // Stands in for the platform's fetch: it follows redirects unless told not to, and a custom
      // header such as iPOSpays' `token` survives a cross-origin redirect (only Authorization is
      // dropped).
      fetch: (next) =>
        async function platform(input: Request | string | URL, init?: RequestInit) {
          const request = new Request(input, init);
          const url = new URL(request.url);
          if (url.hostname === "evil.example") {
            stolen.push(request.headers.get("token") ?? request.headers.get("authorization"));
            return Response.json({ collected: true });
          }
          if (url.pathname.endsWith("/api/v3/iposTransact")) {
            modes.push(request.redirect);
            const location = "https://evil.example/collect";
            if (request.redirect === "follow") return platform(new Request(location, request));
            return new Response(null, { status: 307, headers: { Location: location } });
          }
          return next(request);
        },
    });
    const response = await pay(world, await bearer(world));
    expect(stolen).toEqual([]);
    expect(modes).toEqual(["manual"]);
    expect(response.status).toBe(307);
    expect(response.headers.get("location")).toBeNull();
  });
});

describe("only the paths a scope needs", () => {
  it("refuses everything else with 404 and never calls the provider", async () => {
    const world = await brokerWorld();
    const token = await bearer(world);
    const paths = [
      "/proxy/ipospays/v1/authenticate-token",
      "/proxy/ipospays/v1/refresh-token",
      "/proxy/ipospays/api/v3/iposTransact/extra",
      "/proxy/ipospays/api/v3/iposTransact%2F..%2Fother",
      "/proxy/ipospays/api/v2/iposTransact",
      "/proxy/paymentsgate/auth/token",
      "/proxy/paymentsgate/deals",
      "/proxy/paymentsgate/deals/%2e%2e/auth/token",
      "/proxy/paymentsgate/deals/..%2Fauth%2Ftoken",
      "/proxy/paymentsgate/deals/payin%5C..%5Cauth",
      "/proxy/papaya/token",
      "/proxy/papaya/v1/payments/.hidden",
      "/proxy/papaya/v1/payments/%2e%2e%2f%2e%2e%2ftoken",
      "/proxy/papaya/V1/payments",
      "/proxy/stripe/v1/charges",
      "/proxy/ipospays",
      "/proxy/",
    ];
    for (const path of paths) {
      const response = await world.send(path, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}` },
        body: "{}",
      });
      expect(response.status, path).toBe(404);
    }
    expect(upstreamCalls(world)).toBe(0);
  });

  it("a method the path does not take is a 405", async () => {
    const world = await brokerWorld();
    const response = await world.send(TRANSACT, {
      headers: { Authorization: `Bearer ${await bearer(world)}` },
    });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST, OPTIONS");
  });

  it("a token without the path's scope is a 403 insufficient_scope", async () => {
    const world = await brokerWorld();
    const response = await pay(world, await bearer(world, { scope: "papaya:payments" }));
    expect(response.status).toBe(403);
    expect(response.headers.get("www-authenticate")).toBe(
      'Bearer realm="edgetoken", error="insufficient_scope", scope="ipospays:PaymentTokenization"',
    );
    expect(upstreamCalls(world)).toBe(0);
  });

  it("no bearer token is a 401 challenge without an error code (RFC 6750 §3.1); a token in the query string does not count", async () => {
    const world = await brokerWorld();
    const token = await bearer(world);
    const cases: RequestInit[] = [
      { method: "POST", body: "{}" },
      { method: "POST", body: "{}", headers: { Authorization: "" } },
      { method: "POST", body: "{}", headers: { Authorization: `Basic ${btoa("shop:secret")}` } },
    ];
    for (const init of cases) {
      const response = await world.send(TRANSACT, init);
      expect(response.status).toBe(401);
      // "If the request lacks any authentication information … SHOULD NOT include an error code."
      expect(response.headers.get("www-authenticate")).toBe('Bearer realm="edgetoken"');
      expect(await response.json()).toEqual({
        error: "invalid_request",
        error_description: "A bearer token is required.",
      });
    }
    // A token that is there but not good is the one that names the error.
    const bad = await world.send(TRANSACT, {
      method: "POST",
      body: "{}",
      headers: { Authorization: "Bearer not.a.jwt" },
    });
    expect(bad.status).toBe(401);
    expect(bad.headers.get("www-authenticate")).toBe(
      'Bearer realm="edgetoken", error="invalid_token"',
    );
    const inQuery = await world.send(`${TRANSACT}?access_token=${token}`, {
      method: "POST",
      body: "{}",
    });
    expect(inQuery.status).toBe(401);
    expect(upstreamCalls(world)).toBe(0);
  });

  it("an Idempotency-Key that is too long, or not visible ASCII, is a 400 and nothing goes upstream", async () => {
    const world = await brokerWorld();
    const token = await bearer(world);
    const bad: [string, string][] = [
      ["Idempotency-Key", "k".repeat(8 * 1024)],
      ["Idempotency-Key", "k".repeat(256)],
      ["X-Idempotency-Key", "k".repeat(300)],
      ["Idempotency-Key", "order 42"],
      ["Idempotency-Key", "order-\u00e9"],
      ["X-Idempotency-Key", "order\t42"],
      ["X-Request-Id", "r".repeat(8 * 1024)],
      ["X-Request-Id", "req 42"],
    ];
    for (const [name, value] of bad) {
      const response = await pay(world, token, { [name]: value });
      expect(response.status, `${name}: ${value.slice(0, 20)}`).toBe(400);
      expect(await response.json()).toEqual({
        error: "invalid_request",
        error_description: `${name} must be 1 to 255 visible ASCII characters, without spaces, sent once.`,
      });
    }
    // Sent twice, the values arrive joined (", "): two keys are not one.
    const twice = new Headers({ Authorization: `Bearer ${token}` });
    twice.append("Idempotency-Key", "order-1");
    twice.append("Idempotency-Key", "order-2");
    expect(
      (await world.send(TRANSACT, { method: "POST", headers: twice, body: "{}" })).status,
    ).toBe(400);
    expect(upstreamCalls(world)).toBe(0);
    const longest = "k".repeat(255);
    const fine = await pay(world, token, { "Idempotency-Key": longest });
    expect(fine.status).toBe(200);
    const sent = world.outbound.find((request) => request.url.endsWith("/api/v3/iposTransact"));
    expect(sent?.headers.get("idempotency-key")).toBe(longest);
  });

  it("a body over the cap is a 413 and is not forwarded", async () => {
    const world = await brokerWorld();
    const response = await pay(world, await bearer(world), {}, "x".repeat(64 * 1024 + 1));
    expect(response.status).toBe(413);
    expect(upstreamCalls(world)).toBe(0);
  });
});

describe("browsers: exchange for a short token, CORS by origin", () => {
  it("a backend narrows its token for the page; the page pays through the proxy from its origin", async () => {
    const world = await brokerWorld();
    const backend = await bearer(world);
    const exchanged = await world.post("/oauth/token", SHOP, {
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token: backend,
      subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
      scope: "ipospays:PaymentTokenization",
      expires_in: "120",
    });
    const { access_token: pageToken } = await exchanged.json<{ access_token: string }>();
    expect(payloadOf(pageToken)).toMatchObject({
      scope: "ipospays:PaymentTokenization",
      aud: AUDIENCE,
    });

    const preflight = await world.send(TRANSACT, {
      method: "OPTIONS",
      headers: {
        Origin: ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
      },
    });
    expect(preflight.status).toBe(204);
    expect(Object.fromEntries(preflight.headers)).toMatchObject({
      "access-control-allow-origin": ORIGIN,
      "access-control-allow-methods": "POST",
      "access-control-allow-headers": expect.stringContaining("authorization"),
      "access-control-max-age": "600",
      vary: "Origin",
    });
    expect(preflight.headers.get("access-control-allow-credentials")).toBeNull();
    // Every id header the proxy passes on, a page may send.
    const allowed = (preflight.headers.get("access-control-allow-headers") ?? "").split(", ");
    expect(allowed).toEqual(
      expect.arrayContaining(["idempotency-key", "x-idempotency-key", "x-request-id"]),
    );

    const paid = await pay(world, pageToken, { Origin: ORIGIN });
    expect(paid.status).toBe(200);
    expect(paid.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(paid.headers.get("vary")).toBe("Origin");
    expect(paid.headers.get("access-control-allow-credentials")).toBeNull();

    // The narrowed token opens nothing else.
    const other = await world.send("/proxy/papaya/v1/payments", {
      headers: { Authorization: `Bearer ${pageToken}`, Origin: ORIGIN },
    });
    expect(other.status).toBe(403);
    expect(other.headers.get("access-control-allow-origin")).toBe(ORIGIN);
  });

  it("a preflight from an origin no client lists, or with no origin, is refused without CORS headers", async () => {
    const world = await brokerWorld();
    for (const headers of [{ Origin: "https://evil.example" }, {}, { Origin: "null" }]) {
      const response = await world.send(TRANSACT, { method: "OPTIONS", headers });
      expect(response.status).toBe(403);
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
      expect(await response.json()).toMatchObject({ error: "origin_not_allowed" });
    }
  });

  it("a request from an origin the token's client does not list is refused before it is forwarded", async () => {
    const world = await brokerWorld();
    const evil = await pay(world, await bearer(world), { Origin: "https://evil.example" });
    expect(evil.status).toBe(403);
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();

    // PAYROLL lists no origin: its tokens do not work from the shop's page either.
    const payroll = (await world.token(PAYROLL, { resource: AUDIENCE })).access_token;
    const fromShop = await world.send("/proxy/papaya/v1/payments", {
      headers: { Authorization: `Bearer ${payroll}`, Origin: ORIGIN },
    });
    expect(fromShop.status).toBe(403);
    expect(await fromShop.json()).toMatchObject({ error: "origin_not_allowed" });
    expect(upstreamCalls(world)).toBe(0);
  });
});
