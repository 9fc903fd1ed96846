/**
 * The emulator as a whole: routing, the Date header, call counts, clock, reset, every fault
 * kind, the HTTP controls, and junk that must never earn a 5xx. Provider contracts live in
 * emulator-<provider>.test.ts.
 */
import { createLocalJWKSet, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import {
  createEmulator,
  DEFAULT_ACCOUNTS,
  type Emulator,
  type Fault,
} from "../../src/emulator/index.ts";
import worker from "../../worker/emulator.ts";
import {
  BASE,
  get,
  ipospaysToken,
  json,
  MERCHANT,
  PAPAYA,
  PATHS,
  PG_ACCOUNT,
  PG_KEY_B64,
  papayaToken,
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

const MINUTE = 60_000;
const HTTP_DATE_T0 = new Date(T0).toUTCString();

type EndpointName = keyof typeof PATHS;
type Prepared = {
  name: EndpointName;
  provider: Fault["provider"];
  endpoint: Fault["endpoint"];
  request: () => Request;
};

/** For each endpoint, a valid request, with whatever it needs obtained before any fault is added. */
async function prepareAll(emulator: Emulator): Promise<Prepared[]> {
  const ipos = await ipospaysToken(emulator);
  const pair = await paymentsgatePair(emulator);
  const papaya = await papayaToken(emulator);
  return [
    {
      name: "ipospaysToken",
      provider: "ipospays",
      endpoint: "token",
      request: () => post(PATHS.ipospaysToken, { ...MERCHANT, scope: "PaymentTokenization" }),
    },
    {
      name: "ipospaysRefresh",
      provider: "ipospays",
      endpoint: "refresh",
      request: () => post(PATHS.ipospaysRefresh, { refreshToken: "true", token: ipos }),
    },
    {
      name: "ipospaysApi",
      provider: "ipospays",
      endpoint: "api",
      request: () => post(PATHS.ipospaysApi, { token: ipos }),
    },
    {
      name: "paymentsgateToken",
      provider: "paymentsgate",
      endpoint: "token",
      request: () =>
        postJson(PATHS.paymentsgateToken, { account_id: PG_ACCOUNT, public_key: PG_KEY_B64 }),
    },
    {
      name: "paymentsgateRefresh",
      provider: "paymentsgate",
      endpoint: "refresh",
      request: () =>
        postJson(
          PATHS.paymentsgateRefresh,
          { refresh_token: pair.refresh_token },
          { authorization: `Bearer ${pair.access_token}` },
        ),
    },
    {
      name: "paymentsgateApi",
      provider: "paymentsgate",
      endpoint: "api",
      request: () =>
        postJson(PATHS.paymentsgateApi, {}, { authorization: `Bearer ${pair.access_token}` }),
    },
    {
      name: "papayaToken",
      provider: "papaya",
      endpoint: "token",
      request: () => postJson(PATHS.papayaToken, PAPAYA),
    },
    {
      name: "papayaApi",
      provider: "papaya",
      endpoint: "api",
      request: () => get(PATHS.papayaApi, { authorization: `Bearer ${papaya}` }),
    },
  ];
}

const ENDPOINT_NAMES = Object.keys(PATHS) as EndpointName[];

/** A fresh emulator and a valid request for one endpoint, its prerequisites already obtained. */
async function prepared(name: EndpointName) {
  const { emulator, clock } = setup();
  const entry = (await prepareAll(emulator)).find((candidate) => candidate.name === name);
  if (entry === undefined) throw new Error(`no endpoint ${name}`);
  return { emulator, clock, ...entry };
}

describe("routing", () => {
  it("routes by path only, whatever the host, and takes relative paths and URL objects", async () => {
    const { emulator } = setup();
    const headers = { ...MERCHANT, scope: "Recurring" };
    for (const input of [
      "https://auth.ipospays.tech/ipospays/v1/authenticate-token",
      "http://127.0.0.1:8788/ipospays/v1/authenticate-token",
      "/ipospays/v1/authenticate-token",
      new URL("https://anything.example/ipospays/v1/authenticate-token?x=1"),
    ]) {
      const response = await emulator.fetch(input, { method: "POST", headers });
      expect(response.status).toBe(200);
    }
  });

  it("works detached from the object, as a fetch passed to a client", async () => {
    const { emulator } = setup();
    const { fetch } = emulator;
    const response = await fetch(`${BASE}${PATHS.papayaToken}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(PAPAYA),
    });
    expect(response.status).toBe(201);
  });

  it.each([
    "/",
    "/v1/authenticate-token",
    "/ipospays",
    "/ipospays/v1/authenticate-token/",
    "/IPOSPAYS/v1/authenticate-token",
    "/paymentsgate/auth",
    "/papaya/v1/payments/1",
    "/papaya/token/refresh",
  ])("404 JSON for %s", async (path) => {
    const { emulator } = setup();
    const response = await emulator.fetch(post(path));
    expect(response.status).toBe(404);
    expect(await json(response)).toMatchObject({ error: "Not Found" });
  });

  it.each([
    ["GET", PATHS.ipospaysToken, "POST"],
    ["PUT", PATHS.ipospaysRefresh, "POST"],
    ["GET", PATHS.ipospaysApi, "POST"],
    ["DELETE", PATHS.paymentsgateToken, "POST"],
    ["GET", PATHS.paymentsgateRefresh, "POST"],
    ["PATCH", PATHS.paymentsgateApi, "POST"],
    ["GET", PATHS.papayaToken, "POST"],
    ["POST", PATHS.papayaApi, "GET"],
    ["OPTIONS", PATHS.papayaApi, "GET"],
  ])("405 for %s %s, with Allow: %s", async (method, path, allow) => {
    const { emulator } = setup();
    const response = await emulator.fetch(new Request(`${BASE}${path}`, { method }));
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe(allow);
    expect(await json(response)).toMatchObject({ error: "Method Not Allowed" });
  });

  it("serves the same emulator as a Worker (worker/emulator.ts)", async () => {
    const response = await worker.fetch(
      new Request("http://127.0.0.1:8788/ipospays/v1/authenticate-token", {
        method: "POST",
        headers: { ...MERCHANT, scope: "PaymentTokenization" },
      }),
    );
    expect(response.status).toBe(200);
    expect((await json(response)).responseCode).toBe("00");
  });
});

describe("the Date header", () => {
  it("is on every response: success, error, 404, 405, controls, faults", async () => {
    const { emulator } = setup();
    const responses = [
      await emulator.fetch(post(PATHS.ipospaysToken, { ...MERCHANT, scope: "Recurring" })),
      await emulator.fetch(post(PATHS.ipospaysToken)),
      await emulator.fetch(postJson(PATHS.papayaToken, { api_key: "x", client_secret: "y" })),
      await emulator.fetch(post("/nowhere")),
      await emulator.fetch(get(PATHS.ipospaysToken)),
      await emulator.fetch(get("/_emulator/calls")),
    ];
    emulator.addFault({ kind: "status", status: 503, count: 1 });
    responses.push(await emulator.fetch(post(PATHS.ipospaysToken)));
    for (const response of responses) expect(response.headers.get("date")).toBe(HTTP_DATE_T0);
  });

  it("follows the injected clock and advance()", async () => {
    const { emulator, clock } = setup();
    clock.advance(MINUTE);
    emulator.advance(MINUTE);
    const response = await emulator.fetch(
      post(PATHS.ipospaysToken, { ...MERCHANT, scope: "Recurring" }),
    );
    expect(response.headers.get("date")).toBe(new Date(T0 + 2 * MINUTE).toUTCString());
    expect((await json(response)).createdDt).toBe(String(T0 + 2 * MINUTE));
  });

  it("defaults to the real clock without a now option", async () => {
    const emulator = createEmulator();
    const response = await emulator.fetch(post("/nowhere"));
    const date = Date.parse(response.headers.get("date") ?? "");
    expect(Math.abs(date - Date.now())).toBeLessThan(5000);
  });
});

describe("calls()", () => {
  it("counts per endpoint, keyed METHOD /path, listing only endpoints called", async () => {
    const { emulator } = setup();
    const token = await ipospaysToken(emulator);
    await transact(emulator, token);
    await transact(emulator, token);
    await emulator.fetch(post(PATHS.ipospaysToken)); // an error is still a call
    expect(emulator.calls()).toEqual({
      "POST /ipospays/v1/authenticate-token": 2,
      "POST /ipospays/api/v3/iposTransact": 2,
    });
  });

  it("counts every endpoint under its own key", async () => {
    const { emulator } = setup();
    const all = await prepareAll(emulator);
    emulator.reset();
    for (const entry of all) await emulator.fetch(entry.request());
    expect(emulator.calls()).toEqual({
      "POST /ipospays/v1/authenticate-token": 1,
      "POST /ipospays/v1/refresh-token": 1,
      "POST /ipospays/api/v3/iposTransact": 1,
      "POST /paymentsgate/auth/token": 1,
      "POST /paymentsgate/auth/token/refresh": 1,
      "POST /paymentsgate/deals/payin": 1,
      "POST /papaya/token": 1,
      "GET /papaya/v1/payments": 1,
    });
  });

  it("counts faulted calls, and not 404s, 405s or controls", async () => {
    const { emulator } = setup();
    emulator.addFault({ kind: "status", status: 500 });
    await emulator.fetch(postJson(PATHS.papayaToken, PAPAYA));
    await emulator.fetch(post("/nowhere"));
    await emulator.fetch(get(PATHS.papayaToken));
    await emulator.fetch(get("/_emulator/calls"));
    await emulator.fetch(post("/_emulator/reset-not"));
    expect(emulator.calls()).toEqual({ "POST /papaya/token": 1 });
  });

  it("returns a copy", async () => {
    const { emulator } = setup();
    await emulator.fetch(postJson(PATHS.papayaToken, PAPAYA));
    const calls = emulator.calls();
    calls["POST /papaya/token"] = 99;
    expect(emulator.calls()).toEqual({ "POST /papaya/token": 1 });
  });
});

describe("advance() and reset()", () => {
  it("advance() moves the emulator's clock only, backwards too", async () => {
    const { emulator } = setup();
    emulator.advance(-MINUTE);
    const response = await emulator.fetch(post("/nowhere"));
    expect(response.headers.get("date")).toBe(new Date(T0 - MINUTE).toUTCString());
  });

  it("advance() expires tokens like the injected clock does", async () => {
    const { emulator } = setup();
    const token = await ipospaysToken(emulator, "PaymentTokenization", {
      jwtTokenExpiryMinutes: "30",
    });
    emulator.advance(30 * MINUTE);
    expect((await transact(emulator, token)).status).toBe(401);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, 1e300])(
    "advance(%s) throws a RangeError",
    (ms) => {
      const { emulator } = setup();
      expect(() => emulator.advance(ms)).toThrow(RangeError);
    },
  );

  it("reset() forgets counts, faults, the clock offset, issued tokens and refresh tokens", async () => {
    const { emulator } = setup();
    const ipos = await ipospaysToken(emulator);
    const pair = await paymentsgatePair(emulator);
    emulator.addFault({ kind: "status", status: 503 });
    emulator.advance(MINUTE);
    emulator.reset();
    expect(emulator.calls()).toEqual({});
    const response = await emulator.fetch(post("/nowhere"));
    expect(response.status).toBe(404);
    expect(response.headers.get("date")).toBe(HTTP_DATE_T0);
    expect((await transact(emulator, ipos)).status).toBe(401);
    expect((await payin(emulator, pair.access_token)).status).toBe(401);
    expect(
      (
        await emulator.fetch(
          postJson(
            PATHS.paymentsgateRefresh,
            { refresh_token: pair.refresh_token },
            { authorization: `Bearer ${pair.access_token}` },
          ),
        )
      ).status,
    ).toBe(401);
  });

  it("reset() keeps the signing key: one key per emulator", async () => {
    const { emulator } = setup();
    const before = await emulator.jwks();
    emulator.reset();
    expect(await emulator.jwks()).toEqual(before);
    expect((await transact(emulator, await ipospaysToken(emulator))).status).toBe(200);
  });

  it("reset() forgets revocations along with the tokens they named", async () => {
    const { emulator } = setup();
    emulator.revoke("anything");
    emulator.reset();
    expect((await transact(emulator, await ipospaysToken(emulator))).status).toBe(200);
  });
});

describe("the signing key", () => {
  it("is published as a public RS256 JWK with kid APIKEY0 and no private part", async () => {
    const { emulator } = setup();
    const { keys } = await emulator.jwks();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({
      kty: "RSA",
      kid: "APIKEY0",
      alg: "RS256",
      use: "sig",
      e: "AQAB",
    });
    expect(keys[0]).not.toHaveProperty("d");
  });

  it("verifies every provider's tokens with a stock JWT library", async () => {
    const { emulator } = setup();
    const jwks = createLocalJWKSet(await emulator.jwks());
    const tokens = [
      await ipospaysToken(emulator),
      (await paymentsgatePair(emulator)).access_token,
      await papayaToken(emulator),
    ];
    for (const token of tokens) {
      const { payload } = await jwtVerify(token, jwks, { currentDate: new Date(T0) });
      expect(payload.iat).toBe(T0 / 1000);
    }
  });

  it("differs between emulators", async () => {
    const a = await createEmulator().jwks();
    const b = await createEmulator().jwks();
    expect(a.keys[0]?.n).not.toBe(b.keys[0]?.n);
  });
});

describe("faults: status", () => {
  it.each(ENDPOINT_NAMES)("%s answers the status with a short text body", async (name) => {
    const { emulator, request } = await prepared(name);
    emulator.addFault({ kind: "status", status: 503 });
    const response = await emulator.fetch(request());
    expect(response.status).toBe(503);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await response.text()).toBe("Service Unavailable");
  });

  it.each([500, 502, 504, 400, 418])("answers %s", async (status) => {
    const { emulator, request } = await prepared("papayaToken");
    emulator.addFault({ kind: "status", status });
    expect((await emulator.fetch(request())).status).toBe(status);
  });

  it("applies to count requests, then stops", async () => {
    const { emulator, request } = await prepared("ipospaysToken");
    emulator.addFault({ kind: "status", status: 502, count: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await emulator.fetch(request())).status);
    expect(statuses).toEqual([502, 502, 200]);
  });

  it("applies only to its provider and endpoint", async () => {
    const { emulator } = setup();
    const all = await prepareAll(emulator);
    emulator.addFault({
      provider: "paymentsgate",
      endpoint: "refresh",
      kind: "status",
      status: 500,
    });
    for (const entry of all) {
      const status = (await emulator.fetch(entry.request())).status;
      if (entry.name === "paymentsgateRefresh") expect(status).toBe(500);
      else expect(status).toBeLessThan(300);
    }
  });

  it("without a filter, applies to every provider", async () => {
    const { emulator } = setup();
    const all = await prepareAll(emulator);
    emulator.addFault({ kind: "status", status: 503 });
    for (const entry of all) expect((await emulator.fetch(entry.request())).status).toBe(503);
  });

  it("does not change state: a faulted refresh does not spend the refresh token", async () => {
    const { emulator, request } = await prepared("paymentsgateRefresh");
    emulator.addFault({ kind: "status", status: 500, count: 1 });
    expect((await emulator.fetch(request())).status).toBe(500);
    expect((await emulator.fetch(request())).status).toBe(200);
  });
});

describe("faults: rate_limit", () => {
  it.each(ENDPOINT_NAMES)("%s answers 429 with Retry-After in seconds", async (name) => {
    const { emulator, request } = await prepared(name);
    emulator.addFault({ kind: "rate_limit", retryAfter: 7 });
    const response = await emulator.fetch(request());
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("7");
    expect(response.headers.get("date")).toBe(HTTP_DATE_T0);
  });

  it("uses PaymentsGate's error shape there", async () => {
    const { emulator, request } = await prepared("paymentsgateToken");
    emulator.addFault({ kind: "rate_limit", retryAfter: 1 });
    expect(await json(await emulator.fetch(request()))).toEqual({
      error: "Too Many Requests",
      message: expect.any(String),
      statusCode: 429,
    });
  });
});

describe("faults: malformed", () => {
  const TOKEN_FIELDS = ["token", "access_token", "refresh_token"];
  it.each(ENDPOINT_NAMES)(
    "%s answers valid JSON of the wrong shape under its success status",
    async (name) => {
      const { emulator, request } = await prepared(name);
      emulator.addFault({ kind: "malformed" });
      const response = await emulator.fetch(request());
      expect(response.status).toBe(name === "papayaToken" ? 201 : 200);
      expect(response.headers.get("content-type")).toBe("application/json");
      const body = await json(response);
      for (const field of TOKEN_FIELDS) expect(typeof body[field]).not.toBe("string");
      if (name === "ipospaysApi") expect(typeof body.iposhpresponse).not.toBe("object");
      if (name === "paymentsgateApi") expect(body.status).toBeUndefined();
      if (name === "papayaApi") expect(Array.isArray(body.payments)).toBe(false);
    },
  );
});

describe("faults: non_json", () => {
  it.each(ENDPOINT_NAMES)("%s answers an HTML page under HTTP 200", async (name) => {
    const { emulator, request } = await prepared(name);
    emulator.addFault({ kind: "non_json" });
    const response = await emulator.fetch(request());
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const text = await response.text();
    expect(text).toMatch(/^<!DOCTYPE html>/);
    expect(() => JSON.parse(text)).toThrow();
  });
});

describe("faults: error_200", () => {
  const EXPECTED: Record<EndpointName, unknown> = {
    ipospaysToken: {
      errorCode: "AUTH_ERR_004",
      errorMessage: "Invalid Credentials, Please Contact Support Team.",
    },
    ipospaysRefresh: {
      errorCode: "AUTH_ERR_006",
      errorMessage: "Invalid Token, Please try with a Valid Token.",
    },
    ipospaysApi: {
      errorCode: "AUTH_ERR_006",
      errorMessage: "Invalid Token, Please try with a Valid Token.",
    },
    paymentsgateToken: { error: "Unauthorized", message: "Invalid credentials", statusCode: 401 },
    paymentsgateRefresh: { error: "Unauthorized", message: expect.any(String), statusCode: 401 },
    paymentsgateApi: { error: "Unauthorized", message: "Invalid token", statusCode: 401 },
    papayaToken: { error: "Invalid request" },
    papayaApi: { error: "Invalid request" },
  };

  it.each(ENDPOINT_NAMES)("%s answers the provider's refusal under HTTP 200", async (name) => {
    const { emulator, request } = await prepared(name);
    emulator.addFault({ kind: "error_200" });
    const response = await emulator.fetch(request());
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual(EXPECTED[name]);
  });

  it("keeps the error a request earned: iPOSpays AUTH_ERR_003 and 005 under 200", async () => {
    const { emulator } = setup();
    emulator.addFault({ provider: "ipospays", kind: "error_200" });
    const missingScope = await emulator.fetch(post(PATHS.ipospaysToken, { ...MERCHANT }));
    expect(missingScope.status).toBe(200);
    expect((await json(missingScope)).errorCode).toBe("AUTH_ERR_003");
    const badScope = await emulator.fetch(
      post(PATHS.ipospaysToken, { ...MERCHANT, scope: "ExternalApi" }),
    );
    expect(badScope.status).toBe(200);
    expect((await json(badScope)).errorCode).toBe("AUTH_ERR_005");
  });

  it("changes no state: the refresh token survives, and no token was recorded", async () => {
    const { emulator, request } = await prepared("paymentsgateRefresh");
    emulator.addFault({ kind: "error_200", count: 1 });
    expect(await json(await emulator.fetch(request()))).toMatchObject({ error: "Unauthorized" });
    const response = await emulator.fetch(request());
    expect(response.status).toBe(200);
    expect(typeof (await json(response)).access_token).toBe("string");
  });

  it("does not spend an expired_tokens fault on the success it replaced", async () => {
    const { emulator, request } = await prepared("ipospaysToken");
    emulator.addFault({ kind: "error_200", count: 1 });
    emulator.addFault({ kind: "expired_tokens", count: 1 });
    await emulator.fetch(request());
    const body = await json(await emulator.fetch(request()));
    const { claims } = await verified(emulator, body.token as string);
    expect((claims.exp ?? 0) * 1000).toBeLessThan(T0);
  });
});

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

describe("faults: bookkeeping", () => {
  it("the first matching answer-replacing fault wins; the others keep their count", async () => {
    const { emulator, request } = await prepared("papayaToken");
    emulator.addFault({ kind: "malformed", count: 1 });
    emulator.addFault({ kind: "status", status: 503, count: 1 });
    expect((await emulator.fetch(request())).status).toBe(201);
    expect((await emulator.fetch(request())).status).toBe(503);
    expect((await emulator.fetch(request())).status).toBe(201);
  });

  it("clearFaults() drops every fault", async () => {
    const { emulator, request } = await prepared("ipospaysToken");
    emulator.addFault({ kind: "status", status: 503 });
    emulator.addFault({ kind: "latency", ms: 5_000 });
    emulator.clearFaults();
    expect((await emulator.fetch(request())).status).toBe(200);
  });

  it.each([
    { kind: "nope" },
    { kind: "status", status: 200 },
    { kind: "status", status: 600 },
    { kind: "status", status: 503, count: 0 },
    { kind: "latency", ms: -1 },
    { kind: "rate_limit", retryAfter: 1.5 },
    { kind: "skew" },
    { kind: "malformed", extra: true },
    { kind: "malformed", provider: "stripe" },
    { kind: "malformed", endpoint: "jwks" },
  ])("addFault(%j) throws a TypeError", (fault) => {
    const { emulator } = setup();
    expect(() => emulator.addFault(fault as unknown as Fault)).toThrow(TypeError);
  });
});

describe("HTTP controls under /_emulator/", () => {
  const control = (emulator: Emulator, method: string, name: string, body?: unknown) =>
    emulator.fetch(
      new Request(`${BASE}/_emulator/${name}`, {
        method,
        ...(body === undefined
          ? {}
          : { body: typeof body === "string" ? body : JSON.stringify(body) }),
      }),
    );

  it("GET calls mirrors calls()", async () => {
    const { emulator } = setup();
    await ipospaysToken(emulator);
    const response = await control(emulator, "GET", "calls");
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ "POST /ipospays/v1/authenticate-token": 1 });
  });

  it("POST faults arms a fault (no content type needed); DELETE faults clears them", async () => {
    const { emulator, request } = await prepared("ipospaysToken");
    const added = await control(emulator, "POST", "faults", {
      provider: "ipospays",
      kind: "rate_limit",
      retryAfter: 3,
    });
    expect(added.status).toBe(201);
    expect((await emulator.fetch(request())).status).toBe(429);
    expect((await control(emulator, "DELETE", "faults")).status).toBe(200);
    expect((await emulator.fetch(request())).status).toBe(200);
  });

  it.each([
    ["not JSON", "kind=status"],
    ["an unknown kind", { kind: "explode" }],
    ["a status out of range", { kind: "status", status: 99 }],
    ["an unknown field", { kind: "non_json", when: "always" }],
    ["a string count", { kind: "non_json", count: "1" }],
    ["an array", [{ kind: "non_json" }]],
  ])("POST faults with %s → 400 JSON", async (_name, body) => {
    const { emulator } = setup();
    const response = await control(emulator, "POST", "faults", body);
    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({
      error: "Bad Request",
      message: expect.any(String),
    });
  });

  it("POST clock advances the clock", async () => {
    const { emulator } = setup();
    expect((await control(emulator, "POST", "clock", { advanceMs: 90_000 })).status).toBe(200);
    const response = await emulator.fetch(post("/nowhere"));
    expect(response.headers.get("date")).toBe(new Date(T0 + 90_000).toUTCString());
  });

  it.each([[{}], [{ advanceMs: "60" }], [{ advanceMs: 1e300 }], ["{"]])(
    "POST clock with %j → 400",
    async (body) => {
      const { emulator } = setup();
      expect((await control(emulator, "POST", "clock", body)).status).toBe(400);
    },
  );

  it("POST revoke revokes a token; a bad body is a 400", async () => {
    const { emulator } = setup();
    const token = await papayaToken(emulator);
    expect((await control(emulator, "POST", "revoke", { token })).status).toBe(200);
    expect((await payments(emulator, token)).status).toBe(401);
    expect((await control(emulator, "POST", "revoke", { jwt: token })).status).toBe(400);
  });

  it("POST reset resets", async () => {
    const { emulator } = setup();
    await ipospaysToken(emulator);
    emulator.addFault({ kind: "status", status: 500 });
    expect((await control(emulator, "POST", "reset")).status).toBe(200);
    expect(emulator.calls()).toEqual({});
    expect((await emulator.fetch(postJson(PATHS.papayaToken, PAPAYA))).status).toBe(201);
  });

  it("GET jwks publishes the public key", async () => {
    const { emulator } = setup();
    const response = await control(emulator, "GET", "jwks");
    expect(await json(response)).toEqual(await emulator.jwks());
  });

  it.each(["nope", "", "__proto__", "constructor", "calls/extra"])(
    "404 for /_emulator/%s",
    async (name) => {
      const { emulator } = setup();
      const response = await control(emulator, "GET", name);
      expect(response.status).toBe(404);
      expect(response.headers.get("date")).toBe(HTTP_DATE_T0);
    },
  );

  it.each([
    ["GET", "reset", "POST"],
    ["POST", "calls", "GET"],
    ["PUT", "faults", "POST, DELETE"],
    ["PATCH", "clock", "POST"],
  ])("405 for %s /_emulator/%s, with Allow: %s", async (method, name, allow) => {
    const { emulator } = setup();
    const response = await control(emulator, method, name);
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe(allow);
  });

  it("are neither counted nor faulted", async () => {
    const { emulator } = setup();
    emulator.addFault({ kind: "status", status: 503 });
    emulator.addFault({ kind: "latency", ms: 5_000 });
    const response = await control(emulator, "GET", "calls");
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({});
  });
});

describe("junk never earns a 5xx", () => {
  const BIG = "x".repeat(32 * 1024);
  const junkJwt = `${btoa('"header"')}.${btoa("[1,2]")}.sig`;
  const deep = `${"[".repeat(5000)}${"]".repeat(5000)}`;
  const junk: Array<[string, Record<string, string>, string | Uint8Array | undefined]> = [
    ["nothing", {}, undefined],
    [
      "random bytes as JSON",
      { "content-type": "application/json" },
      crypto.getRandomValues(new Uint8Array(256)),
    ],
    ["a 200 KB body", { "content-type": "application/json" }, `{"a":"${"y".repeat(200 * 1024)}"}`],
    [
      "huge credential headers",
      {
        apiKey: BIG,
        secretKey: BIG,
        scope: BIG,
        jwtTokenExpiryMinutes: BIG,
        token: BIG,
        authorization: `Bearer ${BIG}`,
        refreshToken: "true",
      },
      undefined,
    ],
    [
      "form encoding",
      { "content-type": "application/x-www-form-urlencoded" },
      "api_key=a&client_secret=b",
    ],
    ["multipart", { "content-type": "multipart/form-data; boundary=x" }, "--x\r\n\r\n--x--"],
    ["a bad content type", { "content-type": ";;;" }, "{}"],
    ["JSON string", { "content-type": "application/json" }, '"just a string"'],
    ["JSON number", { "content-type": "application/json" }, "1e999"],
    ["deep JSON", { "content-type": "application/json" }, deep],
    [
      "proto pollution",
      { "content-type": "application/json" },
      '{"__proto__":{"account_id":"x"},"constructor":1}',
    ],
    [
      "unicode",
      { "content-type": "application/json; charset=utf-8" },
      '{"api_key":"\u{1F4A5}","client_secret":"\u0000"}',
    ],
    [
      "junk tokens",
      { token: junkJwt, authorization: `Bearer ${junkJwt}`, refreshToken: "true" },
      undefined,
    ],
    ["dots", { token: "..", authorization: "Bearer ..", refreshToken: "true" }, undefined],
    ["bare bearer", { authorization: "Bearer" }, "{}"],
    [
      "odd expiry",
      { ...MERCHANT, scope: "Recurring", jwtTokenExpiryMinutes: "1e3", TokenExpiryMinutes: "0x20" },
      undefined,
    ],
  ];

  it.each(ENDPOINT_NAMES)("%s", async (name) => {
    const { emulator } = setup();
    const path = PATHS[name];
    const method = name === "papayaApi" ? "GET" : "POST";
    for (const [label, headers, body] of junk) {
      const response = await emulator.fetch(
        new Request(`${BASE}${path}`, {
          method,
          headers,
          ...(method === "GET" || body === undefined ? {} : { body }),
        }),
      );
      expect(response.status, `${name}: ${label}`).toBeLessThan(500);
      expect(response.status, `${name}: ${label}`).toBeGreaterThanOrEqual(400);
      expect(response.headers.get("content-type"), `${name}: ${label}`).toBe("application/json");
      await response.json();
    }
  });

  it("odd paths and methods", async () => {
    const { emulator } = setup();
    for (const path of [
      "//",
      "/%00",
      "/ipospays/%2e%2e/papaya/token",
      `/${BIG}`,
      "/_emulator/%00",
    ]) {
      for (const method of ["GET", "POST", "PUT", "DELETE", "OPTIONS", "PROPFIND"]) {
        const response = await emulator.fetch(new Request(`${BASE}${path}`, { method }));
        expect(response.status, `${method} ${path}`).toBeLessThan(500);
      }
    }
  });
});

describe("defaults", () => {
  it("DEFAULT_ACCOUNTS holds the documented demo accounts", () => {
    expect(DEFAULT_ACCOUNTS.ipospays.map((account) => account.level)).toEqual([
      "merchant",
      "iso",
      "agent",
    ]);
    expect(DEFAULT_ACCOUNTS.paymentsgate[0]?.publicKey).toBe("demo-public-key");
    expect(btoa(DEFAULT_ACCOUNTS.paymentsgate[0]?.publicKey ?? "")).toBe(PG_KEY_B64);
    expect(DEFAULT_ACCOUNTS.papaya).toEqual([
      { apiKey: "demo-papaya-key", clientSecret: "demo-papaya-secret" },
    ]);
  });

  it("accounts given for one provider leave the others' defaults alone", async () => {
    const { emulator } = setup({ accounts: { papaya: [{ apiKey: "k", clientSecret: "s" }] } });
    expect(
      (await emulator.fetch(post(PATHS.ipospaysToken, { ...MERCHANT, scope: "Recurring" }))).status,
    ).toBe(200);
    await paymentsgatePair(emulator);
  });
});
