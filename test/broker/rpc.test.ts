/**
 * `BrokerService`: the broker over RPC for Workers bound to it. The binding's `props` name the
 * client; the policy is the HTTP endpoints' own. Most tests call the entrypoint class over a
 * test broker (the emulator, a hand-moved clock, test clients) with the props set in its
 * context; the last ones go through a real service binding, `exports.BrokerService({ props })`,
 * to the Worker's own entrypoint with wrangler.toml's configuration.
 */
import { exports } from "cloudflare:workers";
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from "jose";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { readBrokerRefusal } from "../../src/broker.ts";
import { createEmulator } from "../../src/emulator/index.ts";
import {
  AUDIENCE,
  brokerWorld,
  ISSUER,
  PAYROLL,
  payloadOf,
  quietLogs,
  SHOP,
  type TestClient,
  type World,
} from "../support/broker.ts";
import { bound, refusal } from "../support/rpc.ts";

beforeEach(() => {
  quietLogs();
});

async function verify(world: World, token: string) {
  const jwks = await (await world.send("/.well-known/jwks.json")).json<JSONWebKeySet>();
  const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
    issuer: ISSUER,
    currentDate: new Date(world.clock.now()),
  });
  return payload;
}

describe("brokerToken", () => {
  it("issues a broker token for an allowed scope to the client the binding names", async () => {
    const world = await brokerWorld();
    const answer = await bound(world, { clientId: SHOP.id }).brokerToken({
      scope: "papaya:payments",
    });
    expect(answer).toEqual({
      access_token: expect.stringMatching(/^ey/),
      token_type: "Bearer",
      expires_in: 300,
      scope: "papaya:payments",
    });
    const claims = await verify(world, answer.access_token);
    const iat = world.clock.now() / 1000;
    expect(claims).toMatchObject({
      iss: ISSUER,
      sub: SHOP.id,
      client_id: SHOP.id,
      aud: AUDIENCE,
      scope: "papaya:payments",
      iat,
      exp: iat + 300,
    });
    // The broker's own proxy takes it like a token from /oauth/token.
    const proxied = await world.send("/proxy/papaya/v1/payments", {
      headers: { Authorization: `Bearer ${answer.access_token}` },
    });
    expect(proxied.status).toBe(200);
  });

  it("narrows like client_credentials: every scope by default, resource, expiresIn capped", async () => {
    const world = await brokerWorld();
    const all = await bound(world, { clientId: SHOP.id }).brokerToken();
    expect(all.scope).toBe(SHOP.scopes.join(" "));
    const payroll = bound(world, { clientId: PAYROLL.id });
    const answer = await payroll.brokerToken({
      resource: "https://payroll.example",
      expiresIn: 3600,
    });
    expect(answer.expires_in).toBe(PAYROLL.maxLifetime);
    const claims = await verify(world, answer.access_token);
    expect(claims).toMatchObject({
      aud: "https://payroll.example",
      exp: world.clock.now() / 1000 + PAYROLL.maxLifetime,
      scope: "papaya:payments",
    });
    expect((await payroll.brokerToken({ expiresIn: 30 })).expires_in).toBe(30);
  });

  it("refuses a scope the client may not have: invalid_scope", async () => {
    const world = await brokerWorld();
    const error = await refusal(
      bound(world, { clientId: PAYROLL.id }).brokerToken({ scope: "ipospays:Recurring" }),
    );
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("BrokerServiceError");
    expect(error.code).toBe("invalid_scope");
    expect(error.message).toBe(
      "invalid_scope: None of the requested scopes may be granted to this client.",
    );
  });

  it("refuses an audience it may not have and malformed parameters", async () => {
    const world = await brokerWorld();
    const payroll = bound(world, { clientId: PAYROLL.id });
    expect((await refusal(payroll.brokerToken({ resource: "https://else.example" }))).code).toBe(
      "invalid_target",
    );
    for (const request of [
      { expiresIn: 0 },
      { expiresIn: 1.5 },
      { expiresIn: "60" },
      { scope: ["papaya:payments"] },
      { resource: 1 },
      // Misspelt: must not quietly become every scope the client may have.
      { scopes: "papaya:payments" },
      { scope: "papaya:payments", subject_token: "ey…" },
    ]) {
      const error = await refusal(payroll.brokerToken(request as never));
      expect(error.code, JSON.stringify(request)).toBe("invalid_request");
    }
    expect((await refusal(payroll.brokerToken({ scope: "" }))).code).toBe("invalid_scope");
  });

  it("needs ISSUER: without a request there is no origin to name the issuer", async () => {
    const world = await brokerWorld({ keys: "development" });
    // Before the first call: the state is built from the env then.
    delete world.env.ISSUER;
    const error = await refusal(bound(world, { clientId: SHOP.id }).brokerToken());
    expect(error.code).toBe("server_error");
    expect(error.message).toContain("ISSUER");
  });
});

describe("providerToken", () => {
  it("hands a client with providerTokens: true the provider's token and how to apply it", async () => {
    const world = await brokerWorld();
    const service = bound(world, { clientId: SHOP.id });
    const answer = await service.providerToken("ipospays:PaymentTokenization");
    expect(answer).toEqual({
      access_token: expect.stringMatching(/^ey/),
      token_type: "N_A",
      expires_in: 86_400,
      scope: "ipospays:PaymentTokenization",
      apply: { header: "token", prefix: "" },
    });
    expect(await service.providerToken("papaya:payments")).toMatchObject({
      token_type: "Bearer",
      apply: { header: "Authorization", prefix: "Bearer " },
    });
    // The same cached token the HTTP endpoint hands out.
    const http = await world.post("/provider-token", SHOP, {
      scope: "ipospays:PaymentTokenization",
    });
    expect(await http.json()).toEqual(answer);
  });

  it("refuses a client whose policy does not allow provider tokens: unauthorized_client", async () => {
    const world = await brokerWorld();
    const error = await refusal(
      bound(world, { clientId: PAYROLL.id }).providerToken("papaya:payments"),
    );
    expect(error.code).toBe("unauthorized_client");
    expect(world.outbound).toEqual([]);
  });

  it("takes exactly one scope the client may have", async () => {
    const client: TestClient = { ...PAYROLL, id: "payroll-provider", providerTokens: true };
    const world = await brokerWorld({ clients: [client] });
    const service = bound(world, { clientId: client.id });
    expect((await refusal(service.providerToken("ipospays:Recurring"))).code).toBe("invalid_scope");
    expect((await refusal(service.providerToken("papaya:payments ipospays:Recurring"))).code).toBe(
      "invalid_scope",
    );
    expect((await refusal(service.providerToken(""))).code).toBe("invalid_request");
    expect((await refusal(service.providerToken(42 as never))).code).toBe("invalid_request");
    expect((await service.providerToken("papaya:payments")).scope).toBe("papaya:payments");
  });
});

describe("the binding is the credential", () => {
  it("an unknown, empty or missing clientId is invalid_client", async () => {
    const world = await brokerWorld();
    for (const props of [
      { clientId: "nobody" },
      { clientId: "" },
      { clientId: 7 },
      {},
      undefined,
    ]) {
      const service = bound(world, props);
      const label = JSON.stringify(props);
      expect((await refusal(service.brokerToken({}))).code, label).toBe("invalid_client");
      expect((await refusal(service.providerToken("papaya:payments"))).code, label).toBe(
        "invalid_client",
      );
    }
    expect(world.outbound).toEqual([]);
  });

  it("shares the client's rate limit with the HTTP endpoints", async () => {
    const client: TestClient = {
      ...SHOP,
      id: "limited-rpc",
      rateLimit: { requests: 3, windowSeconds: 60 },
    };
    const world = await brokerWorld({ clients: [client] });
    const service = bound(world, { clientId: client.id });
    await world.token(client);
    await service.brokerToken({});
    await service.providerToken("papaya:payments");
    const error = await refusal(service.brokerToken({}));
    expect(error.code).toBe("rate_limited");
    expect(error.retryAfterSeconds).toBe(20);
    expect(error.message).toBe(
      "rate_limited: Too many requests (this client, or failed attempts from this source); retry in 20 s. (retry after 20 s)",
    );
    // Across a binding only the message arrives (Workers RPC drops own properties): it is enough.
    expect(readBrokerRefusal(new Error(error.message))).toEqual({
      code: "rate_limited",
      description:
        "Too many requests (this client, or failed attempts from this source); retry in 20 s.",
      retryAfterSeconds: 20,
    });
    // Spent over RPC, the budget is spent over HTTP too.
    const http = await world.post("/oauth/token", client, { grant_type: "client_credentials" });
    expect(http.status).toBe(429);
    world.clock.advance(20_000);
    expect((await service.brokerToken({})).token_type).toBe("Bearer");
  });

  it("writes the same audit lines, without a token or a secret; errors carry neither", async () => {
    const { log } = quietLogs();
    const world = await brokerWorld();
    const service = bound(world, { clientId: SHOP.id });
    const issued = await service.brokerToken({ scope: "papaya:payments" });
    const provider = await service.providerToken("papaya:payments");
    const refused = await refusal(bound(world, { clientId: PAYROLL.id }).providerToken("x"));

    const lines = log.mock.calls.map(([line]) => String(line));
    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const at = new Date(world.clock.now()).toISOString();
    expect(events).toEqual([
      {
        event: "token_issued",
        client_id: SHOP.id,
        scope: "papaya:payments",
        aud: AUDIENCE,
        jti: (await verify(world, issued.access_token)).jti,
        exp: world.clock.now() / 1000 + 300,
        at,
      },
      // The provider token source's own event: the token it obtained, named, never shown.
      {
        event: "provider_obtained",
        provider: "papaya",
        environment: "sandbox",
        scope: "payments",
        from: "provider",
        refreshed: false,
        expiresAt: expect.any(Number),
        at,
      },
      {
        event: "provider_token",
        client_id: SHOP.id,
        scope: "papaya:payments",
        exp: expect.any(Number),
        at,
      },
    ]);
    const everything = [...lines, refused.message, JSON.stringify(refused)].join("\n");
    for (const secret of [
      issued.access_token,
      provider.access_token,
      SHOP.secret,
      "demo-papaya-secret",
      String(world.env.TOKEN_ENCRYPTION_KEY),
    ]) {
      expect(everything).not.toContain(secret);
    }
  });
});

describe("through a real service binding (wrangler.toml's configuration)", () => {
  it("props reach the entrypoint, and the error's code crosses the binding", async () => {
    const unknown = await refusal(
      exports.BrokerService({ props: { clientId: "nobody" } }).brokerToken({}),
    );
    expect(unknown.code).toBe("invalid_client");
    expect(unknown.message).toBe("invalid_client: Client authentication failed.");
    expect(readBrokerRefusal(unknown)).toEqual({
      code: "invalid_client",
      description: "Client authentication failed.",
    });
    const none = await refusal(exports.BrokerService({}).providerToken("papaya:payments"));
    expect(none.code).toBe("invalid_client");
  });

  it("the demo client gets a provider token with no secret at all", async () => {
    const emulator = createEmulator();
    const spy = vi
      .spyOn(globalThis, "fetch")
      .mockImplementation((input, init) => emulator.fetch(new Request(input, init)));
    try {
      const demo = exports.BrokerService({ props: { clientId: "demo" } });
      const answer = await demo.providerToken("paymentsgate:payments");
      expect(answer).toMatchObject({
        access_token: expect.stringMatching(/^ey/),
        token_type: "Bearer",
        scope: "paymentsgate:payments",
        apply: { header: "Authorization", prefix: "Bearer " },
      });
      expect(spy).toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it("the embedded default issues broker tokens over the binding, with no secret", async () => {
    const granted = await exports.BrokerService({ props: { clientId: "demo" } }).brokerToken({
      scope: "papaya:payments",
    });
    expect(granted).toMatchObject({ token_type: "Bearer", scope: "papaya:payments" });
    expect(payloadOf(granted.access_token)).toMatchObject({
      iss: "http://127.0.0.1:8787",
      client_id: "demo",
      scope: "papaya:payments",
    });
  });
});
