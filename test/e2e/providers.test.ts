/**
 * End to end, per provider: token source + emulator → token → the protected endpoint accepts it →
 * the clock moves to the refresh point → refresh (or obtain anew) → the new token is accepted.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createEmulator } from "../../src/emulator/index.ts";
import {
  createKvStore,
  createTokenSource,
  type FetchLike,
  ipospays,
  type Provider,
  papaya,
  paymentsGate,
  type TokenSource,
} from "../../src/index.ts";
import { Clock } from "../support/double.ts";

const HOUR = 3_600_000;
const EMULATOR = "https://emulator.test";

function world(
  provider: Provider,
  options: { fetch?: (emulatorFetch: FetchLike) => FetchLike } = {},
) {
  const clock = new Clock();
  const emulator = createEmulator({ now: clock.now });
  const fetch = options.fetch ? options.fetch(emulator.fetch) : emulator.fetch;
  const source = createTokenSource(provider, {
    runtime: { fetch, now: clock.now, random: () => 0 },
  });
  return { clock, emulator, source };
}

async function settle(source: TokenSource): Promise<void> {
  const ctx = createExecutionContext();
  await source.get({ ctx });
  await waitOnExecutionContext(ctx);
}

const merchant = { apiKey: "demo-merchant-key", secretKey: "demo-merchant-secret" };

describe("iPOSpays against the emulator", () => {
  const provider = () =>
    ipospays({ ...merchant, scope: "PaymentTokenization", baseUrl: `${EMULATOR}/ipospays` });
  const transact = (source: TokenSource) =>
    source.fetch(`${EMULATOR}/ipospays/api/v3/iposTransact`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ amount: 1250 }),
    });

  it("generates, pays, refreshes at the refresh point, and pays with the new token", async () => {
    const { clock, emulator, source } = world(provider());
    const first = await source.get();
    expect(first.expiresAt - clock.t).toBe(24 * HOUR);
    expect((await transact(source)).status).toBe(200);

    clock.advance(18 * HOUR + 60_000); // 24 h token, refreshAhead 0.25
    await settle(source);
    const second = await source.get();
    expect(second.value).not.toBe(first.value);
    expect(emulator.calls()).toMatchObject({
      "POST /ipospays/v1/authenticate-token": 1,
      "POST /ipospays/v1/refresh-token": 1,
    });
    expect((await transact(source)).status).toBe(200);
  });

  it("asks for the configured lifetime and gets it", async () => {
    const { clock, source } = world(
      ipospays({
        ...merchant,
        scope: "Recurring",
        expiryMinutes: 30,
        baseUrl: `${EMULATOR}/ipospays`,
      }),
    );
    expect((await source.get()).expiresAt - clock.t).toBe(30 * 60_000);
  });

  it("a wrong secret is a credentials error (AUTH_ERR_004), sent once", async () => {
    const { emulator, source } = world(
      ipospays({
        ...merchant,
        secretKey: "nope",
        scope: "PaymentTokenization",
        baseUrl: `${EMULATOR}/ipospays`,
      }),
    );
    for (let i = 0; i < 5; i++) {
      await expect(source.get()).rejects.toMatchObject({
        code: "credentials",
        providerCode: "AUTH_ERR_004",
      });
    }
    expect(emulator.calls()["POST /ipospays/v1/authenticate-token"]).toBe(1);
  });

  it("a scope above the key's level is a scope error (AUTH_ERR_005)", async () => {
    const { source } = world(
      ipospays({ ...merchant, scope: "ExternalApi", baseUrl: `${EMULATOR}/ipospays` }),
    );
    await expect(source.get()).rejects.toMatchObject({
      code: "scope",
      providerCode: "AUTH_ERR_005",
    });
  });

  it("errors under HTTP 200 are still errors", async () => {
    const { emulator, source } = world(provider());
    emulator.addFault({ provider: "ipospays", endpoint: "token", kind: "error_200" });
    await expect(source.get()).rejects.toMatchObject({
      providerCode: expect.stringMatching(/^AUTH_ERR_/),
    });
  });

  it("a refused refresh falls back to generating anew", async () => {
    const { clock, emulator, source } = world(provider());
    const first = await source.get();
    emulator.revoke(first.value);
    clock.advance(19 * HOUR);
    await settle(source);
    expect((await source.get()).value).not.toBe(first.value);
    expect(emulator.calls()).toMatchObject({
      "POST /ipospays/v1/refresh-token": 1,
      "POST /ipospays/v1/authenticate-token": 2,
    });
    expect((await transact(source)).status).toBe(200);
  });

  it("AuthenticationRefreshRequired drops the token before the next call", async () => {
    const { clock, emulator, source } = world(provider());
    const first = await source.get();
    clock.advance(5_000);
    emulator.addFault({
      provider: "ipospays",
      endpoint: "api",
      kind: "refresh_required",
      count: 1,
    });
    expect((await transact(source)).status).toBe(200);
    expect((await transact(source)).status).toBe(200);
    expect((await source.get()).value).not.toBe(first.value);
    expect(emulator.calls()["POST /ipospays/v1/authenticate-token"]).toBe(2);
  });

  it("a 401 from Transact renews once and replays the payment", async () => {
    const { clock, emulator, source } = world(provider());
    const first = await source.get();
    clock.advance(5_000);
    emulator.revoke(first.value);
    const response = await transact(source);
    expect(response.status).toBe(200);
    expect(emulator.calls()["POST /ipospays/api/v3/iposTransact"]).toBe(2);
  });

  it("corrects expiry for a provider clock five minutes ahead", async () => {
    const { clock, emulator, source } = world(provider());
    emulator.addFault({ provider: "ipospays", kind: "skew", ms: 5 * 60_000 });
    const token = await source.get();
    expect(Math.abs(token.expiresAt - (clock.t + 24 * HOUR))).toBeLessThan(2_000);
  });

  it("never hands out a token the provider issued already expired", async () => {
    const { emulator, source } = world(provider());
    emulator.addFault({ provider: "ipospays", endpoint: "token", kind: "expired_tokens" });
    await expect(source.get()).rejects.toMatchObject({ code: "invalid_response" });
  });

  it("serves through a 5xx outage while the token is valid, then recovers", async () => {
    const { clock, emulator, source } = world(provider());
    const first = await source.get();
    emulator.addFault({ provider: "ipospays", kind: "status", status: 503 });
    clock.advance(19 * HOUR);
    await settle(source);
    expect(await source.get()).toBe(first);
    emulator.clearFaults();
    clock.advance(2 * 60_000);
    await settle(source);
    expect((await source.get()).value).not.toBe(first.value);
  });

  it("shares one token through real local KV", async () => {
    const clock = new Clock();
    const emulator = createEmulator({ now: clock.now });
    const make = () =>
      createTokenSource(provider(), {
        store: createKvStore(env.TOKENS, { now: clock.now }),
        runtime: { fetch: emulator.fetch, now: clock.now },
      });
    const a = await make().get();
    const b = await make().get();
    expect(b.value).toBe(a.value);
    expect(emulator.calls()["POST /ipospays/v1/authenticate-token"]).toBe(1);
  });
});

describe("PaymentsGate against the emulator", () => {
  const options = {
    accountId: "00000000-0000-4000-8000-000000000001",
    publicKey: "ZGVtby1wdWJsaWMta2V5",
    baseUrl: `${EMULATOR}/paymentsgate`,
  };
  const payin = (source: TokenSource) =>
    source.fetch(`${EMULATOR}/paymentsgate/deals/payin`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ amount: 100, currency: "EUR" }),
    });

  it("issues, pays in, refreshes with the rotating refresh token, and the old one is dead", async () => {
    const { clock, emulator, source } = world(paymentsGate(options));
    const first = await source.get();
    expect((await payin(source)).status).toBe(200);
    clock.advance(46 * 60_000); // 1 h token: refresh at 45 min
    await settle(source);
    const second = await source.get();
    expect(second.value).not.toBe(first.value);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(emulator.calls()).toMatchObject({
      "POST /paymentsgate/auth/token": 1,
      "POST /paymentsgate/auth/token/refresh": 1,
    });
    expect((await payin(source)).status).toBe(200);

    // The exchanged refresh token is refused if anyone tries it again.
    const replay = await emulator.fetch(`${EMULATOR}/paymentsgate/auth/token/refresh`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${second.value}` },
      body: JSON.stringify({ refresh_token: first.refreshToken }),
    });
    expect(replay.status).toBe(401);
  });

  it("accepts the PEM text as well as its base64", async () => {
    const { source } = world(paymentsGate({ ...options, publicKey: "demo-public-key" }));
    expect((await source.get()).value).toMatch(/^ey/);
  });

  it("concurrent refreshes in one source never send the same refresh token twice", async () => {
    const sent: string[] = [];
    const recording =
      (inner: FetchLike): FetchLike =>
      async (input, init) => {
        const request = new Request(input, init);
        if (new URL(request.url).pathname.endsWith("/auth/token/refresh")) {
          sent.push(((await request.clone().json()) as { refresh_token: string }).refresh_token);
        }
        return inner(request);
      };
    const { clock, emulator, source } = world(paymentsGate(options), { fetch: recording });
    for (let round = 0; round < 3; round++) {
      const current = await source.get();
      clock.advance(50 * 60_000);
      emulator.revoke(current.value);
      // Background refreshes and 401-driven renewals, all at once.
      const ctx = createExecutionContext();
      const results = await Promise.all([
        ...Array.from({ length: 20 }, () => source.get({ ctx })),
        ...Array.from({ length: 5 }, () => payin(source)),
      ]);
      await waitOnExecutionContext(ctx);
      for (const result of results.slice(20)) expect((result as Response).status).toBe(200);
    }
    expect(sent.length).toBeGreaterThanOrEqual(3);
    expect(new Set(sent).size).toBe(sent.length);
  });

  it("a dead refresh token falls back to issuing anew from the account", async () => {
    const { clock, emulator, source } = world(paymentsGate(options));
    await source.get();
    emulator.reset(); // forgets every refresh token it issued
    clock.advance(46 * 60_000);
    await settle(source);
    expect(emulator.calls()).toMatchObject({
      "POST /paymentsgate/auth/token/refresh": 1,
      "POST /paymentsgate/auth/token": 1,
    });
    expect((await payin(source)).status).toBe(200);
  });
});

describe("Papaya Global against the emulator", () => {
  const options = {
    apiKey: "demo-papaya-key",
    clientSecret: "demo-papaya-secret",
    baseUrl: `${EMULATOR}/papaya`,
    expiration: 3600,
  };

  it("obtains, is accepted, and obtains anew ahead of valid_until", async () => {
    const { clock, emulator, source } = world(papaya(options));
    const first = await source.get();
    // valid_until is truncated to the minute: never later than the JWT exp.
    expect(first.expiresAt).toBeLessThanOrEqual(clock.t + HOUR);
    expect(first.expiresAt).toBeGreaterThan(clock.t + HOUR - 61_000);
    expect((await source.fetch(`${EMULATOR}/papaya/v1/payments`)).status).toBe(200);

    clock.advance(46 * 60_000);
    await settle(source);
    expect((await source.get()).value).not.toBe(first.value);
    expect(emulator.calls()["POST /papaya/token"]).toBe(2);
    expect((await source.fetch(`${EMULATOR}/papaya/v1/payments`)).status).toBe(200);
  });

  it("bad credentials are a credentials error", async () => {
    const { source } = world(papaya({ ...options, clientSecret: "wrong" }));
    await expect(source.get()).rejects.toMatchObject({ code: "credentials", status: 401 });
  });

  it("malformed and non-JSON bodies are invalid_response, and a 429 is rate_limited", async () => {
    for (const kind of ["malformed", "non_json"] as const) {
      const { emulator, source } = world(papaya(options));
      emulator.addFault({ provider: "papaya", kind });
      await expect(source.get()).rejects.toMatchObject({ code: "invalid_response" });
    }
    const { emulator, source } = world(papaya(options));
    emulator.addFault({ provider: "papaya", kind: "rate_limit", retryAfter: 120 });
    await expect(source.get()).rejects.toMatchObject({
      code: "rate_limited",
      retryAfterMs: 120_000,
    });
  });
});
