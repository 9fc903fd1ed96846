/**
 * Faults that replace the answer (status, rate_limit, malformed, non_json, error_200), and how
 * faults are matched, spent, cleared and checked.
 */
import { describe, expect, it } from "vitest";
import type { Fault } from "../../src/emulator/index.ts";
import {
  ENDPOINT_NAMES,
  type EndpointName,
  prepareAll,
  prepared,
} from "../support/emulator-endpoints.ts";
import {
  HTTP_DATE_T0,
  json,
  MERCHANT,
  PATHS,
  post,
  setup,
  T0,
  verified,
} from "../support/emulator-wire.ts";

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
