/**
 * Faults that alter a real answer: expired tokens, clock skew, refresh_required and latency.
 */
import { describe, expect, it } from "vitest";
import { prepared } from "../support/emulator-endpoints.ts";
import {
  HTTP_DATE_T0,
  ipospaysToken,
  json,
  MERCHANT,
  MINUTE,
  PAPAYA,
  PATHS,
  payin,
  payments,
  paymentsgatePair,
  post,
  postJson,
  setup,
  T0,
  transact,
  verified,
} from "../support/emulator-wire.ts";

describe("faults: expired_tokens", () => {
  it("iPOSpays generate and refresh issue tokens whose exp is past, keeping their lifetime", async () => {
    const { emulator } = setup();
    const good = await ipospaysToken(emulator);
    emulator.addFault({ kind: "expired_tokens" });
    for (const response of [
      await emulator.fetch(
        post(PATHS.ipospaysToken, {
          ...MERCHANT,
          scope: "PaymentTokenization",
          jwtTokenExpiryMinutes: "60",
        }),
      ),
      await emulator.fetch(post(PATHS.ipospaysRefresh, { refreshToken: "true", token: good })),
    ]) {
      expect(response.status).toBe(200);
      const token = (await json(response)).token as string;
      const { claims } = await verified(emulator, token);
      expect((claims.exp ?? 0) * 1000).toBeLessThan(T0);
      expect((await transact(emulator, token)).status).toBe(401);
    }
  });

  it("PaymentsGate issues an expired access token, still saying expires_in 3600", async () => {
    const { emulator } = setup();
    emulator.addFault({ provider: "paymentsgate", kind: "expired_tokens" });
    const pair = await paymentsgatePair(emulator);
    expect(pair.expires_in).toBe(3600);
    const { claims } = await verified(emulator, pair.access_token);
    expect((claims.exp ?? 0) * 1000).toBeLessThan(T0);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);
    expect((await payin(emulator, pair.access_token)).status).toBe(401);
  });

  it("Papaya issues an expired token with a valid_until already past", async () => {
    const { emulator } = setup();
    emulator.addFault({ kind: "expired_tokens", count: 1 });
    const response = await emulator.fetch(
      postJson(PATHS.papayaToken, { ...PAPAYA, expiration: 600 }),
    );
    expect(response.status).toBe(201);
    const body = await json(response);
    expect(Date.parse(body.valid_until as string)).toBeLessThan(T0);
    const { claims } = await verified(emulator, body.token as string);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(600);
    expect((await payments(emulator, body.token as string)).status).toBe(401);
  });

  it("spends its count only on requests that issue a token", async () => {
    const { emulator } = setup();
    const token = await ipospaysToken(emulator);
    emulator.addFault({ kind: "expired_tokens", count: 1 });
    expect((await transact(emulator, token)).status).toBe(200);
    await emulator.fetch(post(PATHS.ipospaysToken, { ...MERCHANT })); // AUTH_ERR_003 issues nothing
    const expired = await verified(emulator, await ipospaysToken(emulator));
    expect((expired.claims.exp ?? 0) * 1000).toBeLessThan(T0);
    const fresh = await verified(emulator, await ipospaysToken(emulator));
    expect((fresh.claims.exp ?? 0) * 1000).toBeGreaterThan(T0);
  });
});

describe("faults: skew", () => {
  const SKEW = 10 * MINUTE;

  it("moves the Date header and createdDt/iat/exp of iPOSpays", async () => {
    const { emulator } = setup();
    emulator.addFault({ kind: "skew", ms: SKEW });
    const response = await emulator.fetch(
      post(PATHS.ipospaysToken, { ...MERCHANT, scope: "Recurring" }),
    );
    expect(response.headers.get("date")).toBe(new Date(T0 + SKEW).toUTCString());
    const body = await json(response);
    expect(body.createdDt).toBe(String(T0 + SKEW));
    const { claims } = await verified(emulator, body.token as string);
    expect(claims.iat).toBe((T0 + SKEW) / 1000);
  });

  it("moves PaymentsGate's iat/exp and Papaya's valid_until", async () => {
    const { emulator } = setup();
    emulator.addFault({ kind: "skew", ms: SKEW });
    const pair = await paymentsgatePair(emulator);
    expect((await verified(emulator, pair.access_token)).claims.exp).toBe(
      (T0 + SKEW) / 1000 + 3600,
    );
    const response = await emulator.fetch(
      postJson(PATHS.papayaToken, { ...PAPAYA, expiration: 3600 }),
    );
    expect(response.headers.get("date")).toBe(new Date(T0 + SKEW).toUTCString());
    expect((await json(response)).valid_until).toBe("2026-11-23T13:10Z");
  });

  it("runs behind with a negative ms", async () => {
    const { emulator } = setup();
    emulator.addFault({ kind: "skew", ms: -SKEW });
    const response = await emulator.fetch(post("/papaya/v1/payments"));
    expect(response.headers.get("date")).toBe(HTTP_DATE_T0); // a 405: no provider clock there
    const ok = await emulator.fetch(postJson(PATHS.papayaToken, PAPAYA));
    expect(ok.headers.get("date")).toBe(new Date(T0 - SKEW).toUTCString());
  });

  it("makes the provider judge expiry by its own clock", async () => {
    const { emulator } = setup();
    const token = await ipospaysToken(emulator, "PaymentTokenization", {
      jwtTokenExpiryMinutes: "30",
    });
    emulator.addFault({
      provider: "ipospays",
      endpoint: "api",
      kind: "skew",
      ms: 31 * MINUTE,
      count: 1,
    });
    expect((await transact(emulator, token)).status).toBe(401);
    expect((await transact(emulator, token)).status).toBe(200);
  });

  it("also stamps fault responses", async () => {
    const { emulator } = setup();
    emulator.addFault({ kind: "skew", ms: SKEW });
    emulator.addFault({ kind: "status", status: 503 });
    const response = await emulator.fetch(postJson(PATHS.papayaToken, PAPAYA));
    expect(response.headers.get("date")).toBe(new Date(T0 + SKEW).toUTCString());
  });
});

describe("faults: refresh_required", () => {
  it("makes Transact succeed with the header and the body field AuthenticationRefreshRequired", async () => {
    const { emulator } = setup();
    const token = await ipospaysToken(emulator);
    emulator.addFault({ kind: "refresh_required", count: 1 });
    const response = await transact(emulator, token, { amount: "5" });
    expect(response.status).toBe(200);
    expect(response.headers.get("AuthenticationRefreshRequired")).toBe("true");
    const body = await json(response);
    expect(body.AuthenticationRefreshRequired).toBe(true);
    expect(body.iposhpresponse).toMatchObject({ responseCode: "200", amount: "5" });
    const next = await transact(emulator, token);
    expect(next.headers.get("AuthenticationRefreshRequired")).toBeNull();
    expect(await json(next)).not.toHaveProperty("AuthenticationRefreshRequired");
  });

  it("touches nothing else and is not spent elsewhere", async () => {
    const { emulator } = setup();
    emulator.addFault({ kind: "refresh_required", count: 1 });
    const token = await ipospaysToken(emulator);
    const pg = await paymentsgatePair(emulator);
    const payinResponse = await payin(emulator, pg.access_token);
    expect(payinResponse.headers.get("AuthenticationRefreshRequired")).toBeNull();
    expect((await transact(emulator, token)).headers.get("AuthenticationRefreshRequired")).toBe(
      "true",
    );
  });

  it("is not sent with a refusal", async () => {
    const { emulator } = setup();
    emulator.addFault({ kind: "refresh_required" });
    const response = await transact(emulator, "junk");
    expect(response.status).toBe(401);
    expect(response.headers.get("AuthenticationRefreshRequired")).toBeNull();
  });
});

describe("faults: latency", () => {
  it("waits the given real milliseconds before answering", async () => {
    const { emulator, request } = await prepared("papayaToken");
    emulator.addFault({ kind: "latency", ms: 120, count: 1 });
    const started = performance.now();
    const response = await emulator.fetch(request());
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);
    expect(response.status).toBe(201);
  });

  it("is cut short by the request's abort signal, rejecting like fetch", async () => {
    const { emulator, request } = await prepared("ipospaysToken");
    emulator.addFault({ kind: "latency", ms: 10_000 });
    const started = performance.now();
    await expect(
      emulator.fetch(new Request(request(), { signal: AbortSignal.timeout(30) })),
    ).rejects.toMatchObject({ name: "TimeoutError" });
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it("combines with a status fault", async () => {
    const { emulator, request } = await prepared("paymentsgateApi");
    emulator.addFault({ kind: "latency", ms: 50 });
    emulator.addFault({ kind: "status", status: 502 });
    const started = performance.now();
    expect((await emulator.fetch(request())).status).toBe(502);
    expect(performance.now() - started).toBeGreaterThanOrEqual(40);
  });
});
