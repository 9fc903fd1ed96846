/**
 * `POST /provider-token`: the providers' own tokens for trusted clients, from the shared,
 * encrypted KV cache; and the cron trigger that keeps them warm so no request waits.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { SCOPES } from "../../worker/oauth/scopes.ts";
import {
  AUDIENCE,
  brokerWorld,
  form,
  PAYROLL,
  payloadOf,
  quietLogs,
  SHOP,
  type TestClient,
  type World,
} from "../support/broker.ts";

const HOUR = 3_600_000;
const AUTH_CALLS = [
  "POST /ipospays/v1/authenticate-token",
  "POST /ipospays/v1/refresh-token",
  "POST /paymentsgate/auth/token",
  "POST /paymentsgate/auth/token/refresh",
  "POST /papaya/token",
];

beforeEach(() => {
  quietLogs();
});

interface ProviderToken {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
  apply: { header: string; prefix: string };
}

function providerToken(world: World, client: TestClient, scope: string) {
  return world.post("/provider-token", client, { scope });
}

function withBearer(world: World, token: string, scope: string) {
  return world.send("/provider-token", {
    method: "POST",
    headers: {
      Authorization: `Bearer ${token}`,
      "Content-Type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ scope }).toString(),
  });
}

function authCalls(world: World): number {
  const calls = world.emulator.calls();
  return AUTH_CALLS.reduce((sum, name) => sum + (calls[name] ?? 0), 0);
}

describe("provider tokens for trusted clients", () => {
  it("hands out each provider's token with how to apply it", async () => {
    const world = await brokerWorld();
    for (const scope of SCOPES) {
      const response = await providerToken(world, SHOP, scope);
      expect(response.status, scope).toBe(200);
      expect(response.headers.get("cache-control")).toBe("no-store");
      const body = await response.json<ProviderToken>();
      const ipospays = scope.startsWith("ipospays:");
      expect(body).toEqual({
        access_token: expect.stringMatching(/^ey/),
        token_type: ipospays ? "N_A" : "Bearer",
        expires_in: scope.startsWith("paymentsgate:") ? 3600 : 86_400,
        scope,
        apply: ipospays
          ? { header: "token", prefix: "" }
          : { header: "Authorization", prefix: "Bearer " },
      });
    }
  });

  it("the token works at the provider when applied as the answer says", async () => {
    const world = await brokerWorld();
    const cases: Array<[string, string, RequestInit]> = [
      [
        "ipospays:PaymentTokenization",
        "/ipospays/api/v3/iposTransact",
        { method: "POST", body: "{}" },
      ],
      ["paymentsgate:payments", "/paymentsgate/deals/payin", { method: "POST", body: "{}" }],
      ["papaya:payments", "/papaya/v1/payments", { method: "GET" }],
    ];
    for (const [scope, path, init] of cases) {
      const token = await (await providerToken(world, SHOP, scope)).json<ProviderToken>();
      const headers = { [token.apply.header]: `${token.apply.prefix}${token.access_token}` };
      const response = await world.emulator.fetch(path, { ...init, headers });
      expect(response.status, scope).toBe(200);
    }
  });

  it("client credentials only: a bearer broker token is invalid_client, whatever it carries", async () => {
    const world = await brokerWorld();
    const broker = await world.token(SHOP, { scope: "papaya:payments" });
    for (const token of [broker.access_token, "garbage"]) {
      const response = await withBearer(world, token, "papaya:payments");
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('Basic realm="edgetoken"');
      expect(await response.json()).toEqual({
        error: "invalid_client",
        error_description: "Client authentication failed.",
      });
    }
    expect(authCalls(world)).toBe(0);
  });

  it("only for clients whose policy says providerTokens: true", async () => {
    const world = await brokerWorld();
    const refused = await providerToken(world, PAYROLL, "papaya:payments");
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: "unauthorized_client" });
    expect(authCalls(world)).toBe(0);
  });

  it("one provider scope per request, one the client may have", async () => {
    const world = await brokerWorld({
      clients: [{ ...SHOP, scopes: ["papaya:payments"] }],
    });
    const cases: Array<[Record<string, string>, number, string]> = [
      [{}, 400, "invalid_request"],
      [{ scope: "" }, 400, "invalid_request"],
      [{ scope: "papaya:payments ipospays:Recurring" }, 400, "invalid_scope"],
      [{ scope: "stripe:charges" }, 400, "invalid_scope"],
      [{ scope: "ipospays:Recurring" }, 400, "invalid_scope"],
    ];
    for (const [params, status, error] of cases) {
      const response = await world.post("/provider-token", SHOP, params);
      expect(response.status, JSON.stringify(params)).toBe(status);
      expect(await response.json()).toMatchObject({ error });
    }
    expect(
      (await world.post("/provider-token", undefined, { scope: "papaya:payments" })).status,
    ).toBe(401);
  });

  it("a fleet makes one auth call per token: memory, then KV across isolates", async () => {
    const world = await brokerWorld();
    const first = await (
      await providerToken(world, SHOP, "ipospays:PaymentTokenization")
    ).json<ProviderToken>();
    for (let i = 0; i < 5; i++) await providerToken(world, SHOP, "ipospays:PaymentTokenization");
    world.restart();
    const fromKv = await (
      await providerToken(world, SHOP, "ipospays:PaymentTokenization")
    ).json<ProviderToken>();
    expect(fromKv.access_token).toBe(first.access_token);
    expect(world.emulator.calls()["POST /ipospays/v1/authenticate-token"]).toBe(1);
  });

  it("the cached token is sealed in KV: the stored value is not the token", async () => {
    const world = await brokerWorld();
    const token = await (await providerToken(world, SHOP, "papaya:payments")).json<ProviderToken>();
    const listed = await world.env.TOKENS.list({ prefix: "edgetoken:v2:papaya:" });
    expect(listed.keys.length).toBeGreaterThan(0);
    for (const key of listed.keys) {
      const value = await world.env.TOKENS.get(key.name, "text");
      expect(value).toMatch(/^et1\./);
      expect(value).not.toContain(token.access_token);
      expect(key.name).not.toContain("demo-papaya-key");
    }
  });

  it("a provider that is down is a 503 with Retry-After, never a token or a secret", async () => {
    const { error } = quietLogs();
    const world = await brokerWorld();
    world.emulator.addFault({ provider: "papaya", endpoint: "token", kind: "status", status: 503 });
    const response = await providerToken(world, SHOP, "papaya:payments");
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(await response.json()).toEqual({
      error: "temporarily_unavailable",
      error_description: "papaya did not issue a token; try again later.",
    });
    const logged = error.mock.calls.map(([line]) => String(line)).join("\n");
    expect(logged).toContain("provider_token_failed");
    expect(logged).not.toContain("demo-papaya-secret");
  });

  it("an outage writes one provider_token_failed line a minute per provider, with a count, however many callers are refused", async () => {
    const { error } = quietLogs();
    const world = await brokerWorld();
    world.emulator.addFault({ provider: "papaya", endpoint: "token", kind: "status", status: 503 });
    const failedLines = () =>
      error.mock.calls
        .map(([line]) => JSON.parse(String(line)) as Record<string, unknown>)
        .filter((line) => line.event === "provider_token_failed");
    for (let i = 0; i < 50; i++) {
      expect((await providerToken(world, SHOP, "papaya:payments")).status).toBe(503);
      const paid = await world.send("/proxy/papaya/v1/payments", {
        headers: { Authorization: `Bearer ${(await world.token(SHOP)).access_token}` },
      });
      expect(paid.status).toBe(503);
      world.clock.advance(1_000);
    }
    // 100 refusals in 50 s: one line.
    expect(failedLines()).toEqual([
      expect.objectContaining({ provider: "papaya", code: expect.any(String), count: 1 }),
    ]);
    world.clock.advance(10_000);
    expect((await providerToken(world, SHOP, "papaya:payments")).status).toBe(503);
    // A minute later the next line says how many it stands for.
    expect(failedLines()).toHaveLength(2);
    expect(failedLines()[1]).toMatchObject({ provider: "papaya", count: 100 });
    // Another provider's outage has lines of its own.
    world.emulator.addFault({
      provider: "ipospays",
      endpoint: "token",
      kind: "status",
      status: 503,
    });
    expect((await providerToken(world, SHOP, "ipospays:Recurring")).status).toBe(503);
    expect(failedLines()).toHaveLength(3);
  });

  it("refused provider credentials are a 503 without Retry-After, and the secret is not logged", async () => {
    const { error } = quietLogs();
    const world = await brokerWorld({ vars: { IPOSPAYS_SECRET_KEY: "wrong-ipos-secret-value" } });
    const response = await providerToken(world, SHOP, "ipospays:Recurring");
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBeNull();
    const logged = error.mock.calls.map(([line]) => String(line)).join("\n");
    expect(logged).toContain('"code":"credentials"');
    expect(logged).not.toContain("wrong-ipos-secret-value");
    expect(logged).not.toContain("demo-iso-key");
  });

  it("a provider without credentials is a 503 that says so", async () => {
    const world = await brokerWorld({ vars: { PAPAYA_API_KEY: "", PAPAYA_CLIENT_SECRET: "" } });
    const response = await providerToken(world, SHOP, "papaya:payments");
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      error: "temporarily_unavailable",
      error_description: "The broker has no papaya credentials configured.",
    });
  });
});

describe("attacks on /provider-token", () => {
  async function pageToken(world: World): Promise<string> {
    const response = await world.send("/demo/token", form({ scope: "papaya:payments" }));
    expect(response.status).toBe(200);
    return (await response.json<{ access_token: string }>()).access_token;
  }

  it("a two-minute page token from POST /demo/token does not buy the provider's 24-hour token", async () => {
    const world = await brokerWorld({ vars: { DEMO_CLIENT_ID: SHOP.id } });
    const page = await pageToken(world);
    expect(payloadOf(page)).toMatchObject({ client_id: SHOP.id, aud: AUDIENCE });
    const response = await withBearer(world, page, "papaya:payments");
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: "invalid_client" });
    expect(authCalls(world)).toBe(0);
  });

  it("a narrowed exchanged token does not buy the provider's token", async () => {
    const world = await brokerWorld();
    const backend = await world.token(SHOP);
    const exchanged = await world.send(
      "/oauth/token",
      form({
        grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
        subject_token: backend.access_token,
        subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
        scope: "papaya:payments",
        expires_in: "60",
      }),
    );
    const { access_token } = await exchanged.json<{ access_token: string }>();
    const response = await withBearer(world, access_token, "papaya:payments");
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: "invalid_client" });
    expect(authCalls(world)).toBe(0);
  });

  it("a bearer token sent alongside good client credentials is refused too", async () => {
    const world = await brokerWorld();
    const page = await world.token(SHOP, { scope: "papaya:payments", expires_in: "60" });
    const response = await world.send("/provider-token", {
      method: "POST",
      headers: {
        Authorization: `Bearer ${page.access_token}`,
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({
        scope: "papaya:payments",
        client_id: SHOP.id,
        client_secret: SHOP.secret,
      }).toString(),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: "invalid_client" });
    expect(authCalls(world)).toBe(0);
  });
});

describe("the cron trigger", () => {
  it("obtains every provider token a client can ask for, so requests find them cached", async () => {
    const world = await brokerWorld();
    await world.cron();
    expect(world.emulator.calls()).toEqual({
      "POST /ipospays/v1/authenticate-token": 4,
      "POST /paymentsgate/auth/token": 1,
      "POST /papaya/token": 1,
    });
    world.restart();
    for (const scope of SCOPES) {
      expect((await providerToken(world, SHOP, scope)).status).toBe(200);
    }
    expect(authCalls(world)).toBe(6);
  });

  it("refreshes tokens past their refresh point before a request needs them", async () => {
    const world = await brokerWorld();
    await world.cron();
    const before = await (
      await providerToken(world, SHOP, "ipospays:Recurring")
    ).json<ProviderToken>();
    // iPOSpays tokens live 24 h and refresh a quarter before expiry; PaymentsGate's live 1 h.
    world.clock.advance(18 * HOUR + 60_000);
    world.emulator.advance(18 * HOUR + 60_000);
    await world.cron();
    const calls = world.emulator.calls();
    expect(calls["POST /ipospays/v1/refresh-token"]).toBe(4);
    expect(calls["POST /paymentsgate/auth/token/refresh"]).toBe(1);
    const counted = authCalls(world);
    const after = await (
      await providerToken(world, SHOP, "ipospays:Recurring")
    ).json<ProviderToken>();
    expect(after.access_token).not.toBe(before.access_token);
    expect(after.expires_in).toBe(86_400);
    expect(authCalls(world)).toBe(counted);
  });

  it("only touches scopes some client holds", async () => {
    const world = await brokerWorld({ clients: [PAYROLL] });
    await world.cron();
    expect(world.emulator.calls()).toEqual({ "POST /papaya/token": 1 });
  });

  it("logs a failing provider and still refreshes the others", async () => {
    const { error } = quietLogs();
    const world = await brokerWorld();
    world.emulator.addFault({ provider: "paymentsgate", kind: "status", status: 500 });
    await world.cron();
    const logged = error.mock.calls.map(([line]) => String(line)).join("\n");
    expect(logged).toContain('"event":"cron_refresh_failed","scope":"paymentsgate:payments"');
    expect(world.emulator.calls()["POST /papaya/token"]).toBe(1);
  });
});

describe("a fleet of broker isolates", () => {
  it("refreshes a PaymentsGate token once across isolates: one refresh, its refresh token spent once", async () => {
    const world = await brokerWorld();
    const scope = "paymentsgate:payments";
    const isolates = [world.isolate(), world.isolate(), world.isolate()];
    const ask = (send: World["send"]) => {
      const init = form({ scope });
      (init.headers as Record<string, string>).Authorization =
        `Basic ${btoa(`${SHOP.id}:${SHOP.secret}`)}`;
      return send("/provider-token", init);
    };
    expect((await ask(world.send)).status).toBe(200);
    world.clock.advance(50 * 60_000); // a 1 h token: every isolate is past its refresh point
    const answers = await Promise.all([world.send, ...isolates].map(ask));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    const calls = world.emulator.calls();
    expect(calls["POST /paymentsgate/auth/token"]).toBe(1);
    expect(calls["POST /paymentsgate/auth/token/refresh"]).toBe(1);
  });
});
