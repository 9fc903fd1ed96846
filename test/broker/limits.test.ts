/**
 * What keeps the broker safe to expose: per-client rate limits in a Durable Object, audit lines
 * that never hold a token or a secret, and junk that never earns a 5xx.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { gcra } from "../../worker/rate-limit.ts";
import {
  AUDIENCE,
  basic,
  brokerWorld,
  limitedClient,
  PAYROLL,
  quietLogs,
  SHOP,
  type World,
} from "../support/broker.ts";

beforeEach(() => {
  quietLogs();
});

describe("per-client rate limits (Durable Object)", () => {
  it("answers 429 with Retry-After once the budget is spent, and lets the client back in on time", async () => {
    const client = limitedClient("limited-basic");
    const world = await brokerWorld({ clients: [client, PAYROLL] });
    for (let i = 0; i < 3; i++)
      expect(
        (await world.post("/oauth/token", client, { grant_type: "client_credentials" })).status,
      ).toBe(200);
    const refused = await world.post("/oauth/token", client, { grant_type: "client_credentials" });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("20");
    expect(await refused.json()).toEqual({
      error: "rate_limited",
      error_description:
        "Too many requests (this client, or failed attempts from this source); retry in 20 s.",
    });
    // Another client has its own budget.
    expect(
      (await world.post("/oauth/token", PAYROLL, { grant_type: "client_credentials" })).status,
    ).toBe(200);

    world.clock.advance(19_000);
    expect(
      (await world.post("/oauth/token", client, { grant_type: "client_credentials" })).status,
    ).toBe(429);
    world.clock.advance(1_000);
    expect(
      (await world.post("/oauth/token", client, { grant_type: "client_credentials" })).status,
    ).toBe(200);
  });

  it("is shared by every isolate and every endpoint of the client, the proxy included", async () => {
    const client = limitedClient("limited-shared", 4);
    const world = await brokerWorld({ clients: [client] });
    const { access_token } = await world.token(client);
    await world.post("/oauth/introspect", client, { token: access_token });
    world.restart();
    await world.post("/provider-token", client, { scope: "papaya:payments" });
    const paid = await world.send("/proxy/papaya/v1/payments", {
      headers: { Authorization: `Bearer ${access_token}` },
    });
    expect(paid.status).toBe(200);
    const revoke = await world.post("/oauth/revoke", client, { token: access_token });
    expect(revoke.status).toBe(429);
    const proxied = await world.send("/proxy/papaya/v1/payments", {
      headers: { Authorization: `Bearer ${access_token}` },
    });
    expect(proxied.status).toBe(429);
    expect(proxied.headers.get("retry-after")).toMatch(/^\d+$/);
  });

  it("GCRA allows a burst of the whole budget, then one request per interval", () => {
    const limit = { requests: 2, windowSeconds: 10 };
    let tat: number | undefined;
    const decisions = [0, 0, 0, 4_999, 5_000].map((now) => {
      const step = gcra(tat, limit, now);
      tat = step.tat;
      return step.decision;
    });
    expect(decisions).toEqual([
      { allowed: true },
      { allowed: true },
      { allowed: false, retryAfterSeconds: 5 },
      { allowed: false, retryAfterSeconds: 1 },
      { allowed: true },
    ]);
    // State from a clock that ran ahead is discarded rather than locking the client out.
    expect(gcra(1_000_000, limit, 0).decision).toEqual({ allowed: true });
  });
});

describe("audit lines", () => {
  it("one line per issuance, exchange, revocation and provider token — never a token or a secret", async () => {
    const { log } = quietLogs();
    const world = await brokerWorld();
    const issued = await world.token(SHOP, {
      scope: "ipospays:PaymentTokenization papaya:payments",
    });
    const exchange = await world.post("/oauth/token", SHOP, {
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token: issued.access_token,
      subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
      scope: "papaya:payments",
    });
    const exchanged = await exchange.json<{ access_token: string }>();
    const provider = await (
      await world.post("/provider-token", SHOP, { scope: "ipospays:PaymentTokenization" })
    ).json<{ access_token: string }>();
    await world.post("/oauth/revoke", SHOP, { token: exchanged.access_token });

    const lines = log.mock.calls.map(([line]) => String(line));
    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.map((event) => event.event)).toEqual([
      "token_issued",
      "token_exchanged",
      "provider_obtained",
      "provider_token",
      "token_revoked",
    ]);
    const at = new Date(world.clock.now()).toISOString();
    expect(events[0]).toEqual({
      event: "token_issued",
      client_id: "shop",
      scope: "ipospays:PaymentTokenization papaya:payments",
      aud: AUDIENCE,
      jti: expect.any(String),
      exp: world.clock.now() / 1000 + 300,
      at,
    });
    expect(events[1]).toMatchObject({
      event: "token_exchanged",
      client_id: "shop",
      scope: "papaya:payments",
      sub: "shop",
      subject_jti: events[0]?.jti,
    });
    expect(events[2]).toMatchObject({ event: "provider_obtained", provider: "ipospays" });
    expect(events[3]).toMatchObject({
      event: "provider_token",
      client_id: "shop",
      scope: "ipospays:PaymentTokenization",
    });
    expect(events[4]).toMatchObject({
      event: "token_revoked",
      client_id: "shop",
      jti: events[1]?.jti,
    });

    const everything = lines.join("\n");
    for (const secret of [
      issued.access_token,
      exchanged.access_token,
      provider.access_token,
      SHOP.secret,
      basic(SHOP),
      "demo-iso-secret",
      "demo-iso-key",
      String(world.env.TOKEN_ENCRYPTION_KEY),
    ]) {
      expect(everything).not.toContain(secret);
    }
  });
});

describe("junk never gets a 5xx", () => {
  const FORM = "application/x-www-form-urlencoded";
  const ENDPOINTS = ["/oauth/token", "/oauth/revoke", "/oauth/introspect", "/provider-token"];

  function post(
    world: World,
    path: string,
    body: BodyInit | null,
    headers: Record<string, string>,
  ) {
    return world.send(path, {
      method: "POST",
      headers: { Authorization: basic(SHOP), ...headers },
      body,
    });
  }

  it("wrong content types are 400 invalid_request", async () => {
    const world = await brokerWorld();
    const cases: Array<[Record<string, string>, BodyInit | null]> = [
      [
        { "Content-Type": "application/json" },
        JSON.stringify({ grant_type: "client_credentials" }),
      ],
      [{}, "grant_type=client_credentials"],
      [{ "Content-Type": "text/plain" }, "grant_type=client_credentials"],
      [{ "Content-Type": "multipart/form-data; boundary=x" }, "--x--"],
      [{ "Content-Type": "application/x-www-form-urlencodedX" }, "grant_type=client_credentials"],
    ];
    for (const path of ENDPOINTS) {
      for (const [headers, body] of cases) {
        const response = await post(world, path, body, headers);
        expect(response.status, `${path} ${JSON.stringify(headers)}`).toBe(400);
        expect(await response.json()).toMatchObject({ error: "invalid_request" });
      }
    }
  });

  it("bodies over 16 KiB are 413, with or without Content-Length", async () => {
    const world = await brokerWorld();
    const big = `grant_type=client_credentials&pad=${"a".repeat(16 * 1024)}`;
    for (const path of ENDPOINTS) {
      const declared = await post(world, path, big, { "Content-Type": FORM });
      expect(declared.status, path).toBe(413);
      const bytes = new TextEncoder().encode(big);
      const stream = new ReadableStream({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 1024) controller.enqueue(bytes.slice(i, i + 1024));
          controller.close();
        },
      });
      const streamed = await post(world, path, stream, { "Content-Type": FORM });
      expect(streamed.status, `${path} streamed`).toBe(413);
    }
  });

  it("junk bodies, headers, paths and queries all get a 4xx (or the page they asked for)", async () => {
    const world = await brokerWorld();
    const token = (await world.token(SHOP)).access_token;
    const bodies: BodyInit[] = [
      new Uint8Array([0xff, 0xfe, 0x00, 0x80, 0xc3]),
      "grant_type=%E0%A4%A&scope=%",
      "&&&===&&&",
      "grant_type",
      "=client_credentials",
      `grant_type=client_credentials&scope=${"x".repeat(10_000)}`,
      "grant_type=client_credentials&client_id=&client_secret=",
      "grant_type=urn:ietf:params:oauth:grant-type:token-exchange&subject_token=&subject_token_type=urn:ietf:params:oauth:token-type:access_token",
      "token=&token_type_hint=refresh_token",
      "scope=ipospays:PaymentTokenization%00",
      "\u0000\u0001\u0002",
    ];
    const headers: Array<Record<string, string>> = [
      { Authorization: `Basic ${btoa("\u00ff:\u00fe")}` },
      { Authorization: "Bearer" },
      { Authorization: `Bearer ${token}.extra` },
      { Authorization: `Bearer ${"A".repeat(10_000)}` },
      { Authorization: "Basic ===" },
      { "Content-Type": `${FORM}; charset=utf-16` },
    ];
    const requests: Array<[string, RequestInit]> = [];
    for (const path of ENDPOINTS) {
      for (const body of bodies) {
        requests.push([
          path,
          { method: "POST", headers: { "Content-Type": FORM, Authorization: basic(SHOP) }, body },
        ]);
      }
      for (const header of headers) {
        requests.push([
          path,
          {
            method: "POST",
            headers: { "Content-Type": FORM, ...header },
            body: "grant_type=client_credentials&token=x&scope=papaya:payments",
          },
        ]);
      }
    }
    // Raw non-ASCII bytes in headers (workerd warns about these when the test builds them).
    requests.push([
      "/oauth/token",
      {
        method: "POST",
        headers: { "Content-Type": FORM, Authorization: "Basic \u00ff\u00fe" },
        body: "grant_type=client_credentials",
      },
    ]);
    const proxyHeaders = [
      ...headers,
      { Origin: "\u00ff" },
      {
        Origin: "https://shop.example",
        Authorization: `Bearer ${token}`,
        "Content-Type": "\u00ff/\u00fe",
      },
    ];
    for (const header of proxyHeaders) {
      requests.push([
        "/proxy/ipospays/api/v3/iposTransact",
        { method: "POST", headers: header, body: "\u00ff" },
      ]);
    }
    for (const path of [
      "/%ff%fe",
      "/proxy/%00",
      `/proxy/papaya/v1/payments/${"a".repeat(5_000)}`,
      `/${"x".repeat(10_000)}`,
      "/.well-known/jwks.json?%%%&&==",
      "/oauth/token?%zz",
      "/proxy/papaya/v1/payments?%%%",
      `/proxy/papaya/v1/payments?${"q=1&".repeat(1_000)}`,
    ]) {
      requests.push([path, { method: "GET", headers: { Authorization: `Bearer ${token}` } }]);
      requests.push([path, { method: "POST", headers: { "Content-Type": FORM }, body: "x" }]);
    }
    for (const [path, init] of requests) {
      const response = await world.send(path, init);
      const label = `${init.method} ${path.slice(0, 60)} ${JSON.stringify(init.headers).slice(0, 80)}`;
      expect(response.status, label).toBeLessThan(500);
      expect(response.headers.get("content-type") ?? "application/json", label).toContain("json");
    }
  });
});
