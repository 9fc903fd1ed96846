/**
 * `POST /oauth/token` with client_credentials: both client authentication methods, scope,
 * resource and lifetime narrowing, RFC 6749 §5.2 errors, and the library's broker() provider
 * against it.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { type BrokerOptions, broker, createTokenSource } from "../../src/index.ts";
import { SCOPES } from "../../worker/oauth/scopes.ts";
import {
  AUDIENCE,
  basic,
  brokerWorld,
  errorOf,
  form,
  headerOf,
  ISSUER,
  keyOf,
  PAYMENTS_API,
  PAYROLL,
  payloadOf,
  quietLogs,
  SHOP,
  type World,
} from "../support/broker.ts";

beforeEach(() => {
  quietLogs();
});

describe("client_credentials (RFC 6749 §4.4)", () => {
  it("client_secret_basic: an RFC 9068 access token with every claim, five minutes by default", async () => {
    const world = await brokerWorld();
    const response = await world.post("/oauth/token", SHOP, { grant_type: "client_credentials" });
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("pragma")).toBe("no-cache");
    const body = await response.json<Record<string, unknown>>();
    expect(body).toEqual({
      access_token: expect.any(String),
      token_type: "Bearer",
      expires_in: 300,
      scope: SCOPES.join(" "),
    });
    const token = String(body.access_token);
    expect(headerOf(token)).toEqual({ alg: "ES256", typ: "at+jwt", kid: keyOf(world).kid });
    const now = world.clock.now() / 1000;
    expect(payloadOf(token)).toEqual({
      iss: ISSUER,
      sub: "shop",
      aud: AUDIENCE,
      iat: now,
      exp: now + 300,
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      client_id: "shop",
      scope: SCOPES.join(" "),
    });
  });

  it("client_secret_post works the same", async () => {
    const world = await brokerWorld();
    const response = await world.send(
      "/oauth/token",
      form({ grant_type: "client_credentials", client_id: SHOP.id, client_secret: SHOP.secret }),
    );
    expect(response.status).toBe(200);
    expect(payloadOf((await response.json<{ access_token: string }>()).access_token).sub).toBe(
      "shop",
    );
  });

  it("Basic credentials are form-encoded before base64 (RFC 6749 §2.3.1)", async () => {
    const odd = { ...SHOP, id: "odd.client~1", secret: "p@ss word:with%colon+plus&é" };
    const world = await brokerWorld({ clients: [odd] });
    const response = await world.post("/oauth/token", odd, { grant_type: "client_credentials" });
    expect(response.status).toBe(200);
    // The same secret unencoded inside Basic decodes differently, and fails.
    const raw = await world.send("/oauth/token", {
      ...form({ grant_type: "client_credentials" }),
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Authorization: `Basic ${btoa(`${odd.id}:p@ss word:with%colon+plus`)}`,
      },
    });
    expect(raw.status).toBe(401);
  });

  it("a token's life never exceeds the client's maxLifetime; expires_in can only shorten it", async () => {
    const world = await brokerWorld();
    expect((await world.token(PAYROLL)).expires_in).toBe(120);
    expect((await world.token(SHOP, { expires_in: "60" })).expires_in).toBe(60);
    expect((await world.token(SHOP, { expires_in: "3600" })).expires_in).toBe(900);
    const short = await world.token(SHOP, { expires_in: "45" });
    const claims = payloadOf(short.access_token);
    expect(Number(claims.exp) - Number(claims.iat)).toBe(45);
  });

  it("expires_in that is not a positive whole number is invalid_request", async () => {
    const world = await brokerWorld();
    for (const value of ["0", "-5", "1.5", "soon", "", "9999999999"]) {
      const response = await world.post("/oauth/token", SHOP, {
        grant_type: "client_credentials",
        expires_in: value,
      });
      expect((await errorOf(response)).body.error, value).toBe("invalid_request");
    }
  });

  it("scope is the intersection of what is asked and what the policy grants", async () => {
    const world = await brokerWorld();
    expect((await world.token(SHOP, { scope: "papaya:payments" })).scope).toBe("papaya:payments");
    const mixed = await world.token(PAYROLL, { scope: "ipospays:Recurring papaya:payments" });
    expect(mixed.scope).toBe("papaya:payments");
    const order = await world.token(SHOP, { scope: "papaya:payments  ipospays:Recurring" });
    expect(order.scope).toBe("ipospays:Recurring papaya:payments");
  });

  it("asking only for scopes the client may not have is invalid_scope", async () => {
    const world = await brokerWorld();
    for (const scope of ["ipospays:Recurring", "admin", "", " ", 'bad"quote']) {
      const { status, body } = await errorOf(
        await world.post("/oauth/token", PAYROLL, { grant_type: "client_credentials", scope }),
      );
      expect(status, scope).toBe(400);
      expect(body.error, scope).toBe("invalid_scope");
    }
    const nothing = await world.post("/oauth/token", PAYMENTS_API, {
      grant_type: "client_credentials",
    });
    expect((await errorOf(nothing)).body.error).toBe("invalid_scope");
  });

  it("resource picks one of the client's audiences (RFC 8707); another is invalid_target", async () => {
    const world = await brokerWorld();
    const other = await world.token(SHOP, { resource: "https://payments.example" });
    expect(payloadOf(other.access_token).aud).toBe("https://payments.example");
    const { status, body } = await errorOf(
      await world.post("/oauth/token", SHOP, {
        grant_type: "client_credentials",
        resource: "https://payroll.example",
      }),
    );
    expect(status).toBe(400);
    expect(body.error).toBe("invalid_target");
  });

  it("a repeated parameter is invalid_request (RFC 6749 §3.2)", async () => {
    const world = await brokerWorld();
    const response = await world.send("/oauth/token", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Authorization: basic(SHOP) },
      body: "grant_type=client_credentials&scope=papaya:payments&scope=ipospays:Recurring",
    });
    expect(await errorOf(response)).toEqual({
      status: 400,
      body: { error: "invalid_request", error_description: "The parameter scope is repeated." },
    });
  });

  it("a missing grant_type is invalid_request; another grant is unsupported_grant_type", async () => {
    const world = await brokerWorld();
    const missing = await errorOf(await world.post("/oauth/token", SHOP, {}));
    expect(missing).toMatchObject({ status: 400, body: { error: "invalid_request" } });
    for (const grant of ["password", "authorization_code", "refresh_token", "CLIENT_CREDENTIALS"]) {
      const other = await errorOf(await world.post("/oauth/token", SHOP, { grant_type: grant }));
      expect(other, grant).toMatchObject({
        status: 400,
        body: { error: "unsupported_grant_type" },
      });
    }
  });
});

describe("invalid_client (RFC 6749 §5.2)", () => {
  async function attempt(world: World, init: RequestInit) {
    const response = await world.send("/oauth/token", init);
    return {
      status: response.status,
      challenge: response.headers.get("www-authenticate"),
      cacheControl: response.headers.get("cache-control"),
      body: await response.text(),
    };
  }

  const withBasic = (header: string): RequestInit => ({
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Authorization: header },
    body: "grant_type=client_credentials",
  });

  it("an unknown client and a wrong secret get byte-for-byte the same 401", async () => {
    const world = await brokerWorld();
    const unknown = await attempt(world, withBasic(basic({ id: "nobody", secret: SHOP.secret })));
    const wrong = await attempt(world, withBasic(basic({ id: SHOP.id, secret: "not-the-secret" })));
    const wrongPost = await attempt(
      world,
      form({ grant_type: "client_credentials", client_id: SHOP.id, client_secret: "nope" }),
    );
    const unknownPost = await attempt(
      world,
      form({ grant_type: "client_credentials", client_id: "nobody", client_secret: "nope" }),
    );
    const expected = {
      status: 401,
      challenge: 'Basic realm="edgetoken"',
      cacheControl: "no-store",
      // The broker's own JSON ends with a newline (line-endings.test.ts).
      body: `${JSON.stringify({
        error: "invalid_client",
        error_description: "Client authentication failed.",
      })}\n`,
    };
    expect(unknown).toEqual(expected);
    expect(wrong).toEqual(expected);
    expect(wrongPost).toEqual(expected);
    expect(unknownPost).toEqual(expected);
  });

  it("no credentials, or credentials that do not decode, are invalid_client too", async () => {
    const world = await brokerWorld();
    const cases: RequestInit[] = [
      form({ grant_type: "client_credentials" }),
      form({ grant_type: "client_credentials", client_id: SHOP.id }),
      withBasic("Basic"),
      withBasic("Basic !!!not-base64!!!"),
      withBasic(`Basic ${btoa("no-colon-here")}`),
      withBasic(`Basic ${btoa(":secret-without-id")}`),
      withBasic(`Basic ${btoa("shop:%E0%A4%A")}`),
      withBasic(`Basic ${"A".repeat(8000)}`),
      withBasic("Bearer some-token"),
      withBasic("Digest username=shop"),
    ];
    for (const init of cases) {
      const result = await attempt(world, init);
      expect(result.status).toBe(401);
      expect(JSON.parse(result.body).error).toBe("invalid_client");
    }
  });

  it("Basic and client_secret together are invalid_request (RFC 6749 §2.3)", async () => {
    const world = await brokerWorld();
    const response = await world.post("/oauth/token", SHOP, {
      grant_type: "client_credentials",
      client_secret: SHOP.secret,
    });
    expect(await errorOf(response)).toMatchObject({
      status: 400,
      body: { error: "invalid_request" },
    });
    const mismatch = await world.post("/oauth/token", SHOP, {
      grant_type: "client_credentials",
      client_id: PAYROLL.id,
    });
    expect(await errorOf(mismatch)).toMatchObject({
      status: 400,
      body: { error: "invalid_request" },
    });
  });

  it("a secret in the URL is refused", async () => {
    const world = await brokerWorld();
    const response = await world.send(
      `/oauth/token?client_secret=${SHOP.secret}`,
      form({ grant_type: "client_credentials", client_id: SHOP.id, client_secret: SHOP.secret }),
    );
    expect(await errorOf(response)).toMatchObject({
      status: 400,
      body: { error: "invalid_request" },
    });
  });
});

describe("the library's own broker() provider", () => {
  function sourceFor(world: World, options: Omit<BrokerOptions, "brokerUrl">) {
    const fetch = (input: Request | string | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      const url = new URL(request.url);
      return world.send(`${url.pathname}${url.search}`, request);
    };
    return createTokenSource(broker({ brokerUrl: ISSUER, ...options }), {
      runtime: { fetch, now: world.clock.now },
    });
  }

  it("gets a scoped token with client credentials, and narrows one by exchange", async () => {
    const world = await brokerWorld();
    const backend = sourceFor(world, {
      clientId: SHOP.id,
      clientSecret: SHOP.secret,
      scope: "ipospays:PaymentTokenization",
    });
    const token = await backend.get();
    expect(payloadOf(token.value)).toMatchObject({
      client_id: "shop",
      scope: "ipospays:PaymentTokenization",
    });
    expect(token.expiresAt - world.clock.now()).toBe(300_000);

    const page = sourceFor(world, {
      subjectToken: async () => (await world.token(SHOP)).access_token,
      scope: "papaya:payments",
    });
    expect(payloadOf((await page.get()).value).scope).toBe("papaya:payments");
  });
});
