import { describe, expect, it } from "vitest";
import {
  paymentsGate,
  paymentsGateIssueRequest,
  paymentsGateRefreshRequest,
  processPaymentsGateResponse,
  resolveRuntime,
  Token,
} from "../../src/index.ts";
import { unsignedJwt } from "../support/jwt.ts";
import { sent, thrown } from "../support/sent.ts";

const T0 = Date.parse("2026-11-23T12:00:00Z");
const ACCOUNT = "00000000-0000-4000-8000-000000000001";
const PEM =
  "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE-SECRET-PEM\n-----END PUBLIC KEY-----\n";
const base = { accountId: ACCOUNT, publicKey: PEM };
const access = unsignedJwt({ sub: ACCOUNT, iat: T0 / 1000, exp: T0 / 1000 + 3600 });
const pair = { access_token: access, refresh_token: "rt-OPAQUE-1", expires_in: 3600 };

describe("PaymentsGate requests", () => {
  it("issue sends account_id and the base64 of the PEM text as JSON to the sandbox host", async () => {
    const request = paymentsGateIssueRequest(base);
    expect(request.url).toBe("https://secure.sandbox.paymentsgate.io/auth/token");
    expect(request.headers.get("content-type")).toBe("application/json");
    const body = (await request.json()) as { account_id: string; public_key: string };
    expect(body.account_id).toBe(ACCOUNT);
    expect(atob(body.public_key)).toBe(PEM);
  });

  it("a public key already in base64 is sent as it is", async () => {
    const request = paymentsGateIssueRequest({ ...base, publicKey: "ZGVtby1wdWJsaWMta2V5" });
    expect(((await request.json()) as { public_key: string }).public_key).toBe(
      "ZGVtby1wdWJsaWMta2V5",
    );
  });

  it("refresh sends the access token as Bearer and the refresh token in the body", async () => {
    const previous = new Token({
      value: access,
      refreshToken: "rt-OPAQUE-1",
      obtainedAt: T0,
      expiresAt: T0 + 3_600_000,
    });
    const request = paymentsGateRefreshRequest(base, previous);
    expect(request.url).toBe("https://secure.sandbox.paymentsgate.io/auth/token/refresh");
    expect(request.headers.get("authorization")).toBe(`Bearer ${access}`);
    expect(await request.json()).toEqual({ refresh_token: "rt-OPAQUE-1" });
  });

  it("production has no published host: without baseUrl it is a configuration error naming it", () => {
    const error = thrown(() => paymentsGate({ ...base, environment: "production" }));
    expect(error.code).toBe("configuration");
    expect(error.message).toMatch(/baseUrl/);
    expect(() =>
      paymentsGate({ ...base, environment: "production", baseUrl: "https://pg.example.com" }),
    ).not.toThrow();
  });

  it("refuses an account id that is not a UUID, without echoing it", () => {
    const error = thrown(() => paymentsGate({ ...base, accountId: "acct-SECRETISH" }));
    expect(error.message).toMatch(/accountId/);
    expect(error.message).not.toContain("acct-SECRETISH");
  });
});

describe("PaymentsGate responses", () => {
  it("a pair gives a token with the refresh handle, expiring at the earliest signal", async () => {
    const token = processPaymentsGateResponse(
      await sent(Response.json(pair), T0),
      "issue",
      "payments",
    );
    expect(token.refreshToken).toBe("rt-OPAQUE-1");
    expect(token.expiresAt).toBe(T0 + 3_600_000);
    const shorter = { ...pair, expires_in: 600 };
    expect(
      processPaymentsGateResponse(await sent(Response.json(shorter), T0), "issue").expiresAt,
    ).toBe(T0 + 600_000);
  });

  it("maps statuses: 400/401 on refresh are refresh_rejected; on issue, credentials or configuration", async () => {
    const cases: Array<[number, "issue" | "refresh", string]> = [
      [400, "refresh", "refresh_rejected"],
      [401, "refresh", "refresh_rejected"],
      [401, "issue", "credentials"],
      [403, "issue", "credentials"],
      [400, "issue", "configuration"],
      [404, "issue", "invalid_response"],
    ];
    for (const [status, endpoint, code] of cases) {
      const body = { error: "Unauthorized", message: "Invalid credentials", statusCode: status };
      const answer = await sent(Response.json(body, { status }), T0);
      const error = thrown(() => processPaymentsGateResponse(answer, endpoint));
      expect(error).toMatchObject({ code, status, providerCode: "Unauthorized", retryable: false });
    }
  });

  it("a body that is not the pair, or not JSON, is invalid_response", async () => {
    for (const response of [
      Response.json({ access_token: access, expires_in: 3600 }),
      Response.json({ ...pair, access_token: "opaque" }),
      new Response("<html></html>"),
    ]) {
      const answer = await sent(response, T0);
      expect(thrown(() => processPaymentsGateResponse(answer, "issue")).code).toBe(
        "invalid_response",
      );
    }
  });
});

describe("PaymentsGate refresh tokens rotate", () => {
  it("a refresh token is never sent twice, even after a failed exchange", async () => {
    const sentTokens: string[] = [];
    const runtime = resolveRuntime({
      now: () => T0,
      fetch: async (input, init) => {
        const request = new Request(input, init);
        sentTokens.push(((await request.json()) as { refresh_token: string }).refresh_token);
        return new Response("bad gateway", { status: 502 });
      },
    });
    const provider = paymentsGate(base);
    const previous = new Token({
      value: access,
      refreshToken: "rt-ONCE",
      obtainedAt: T0,
      expiresAt: T0 + 3_600_000,
    });
    expect(provider.canRefresh?.(previous, T0)).toBe(true);
    await expect(provider.refresh?.(previous, { runtime })).rejects.toMatchObject({
      code: "upstream_unavailable",
    });
    expect(provider.canRefresh?.(previous, T0)).toBe(false);
    await expect(provider.refresh?.(previous, { runtime })).rejects.toMatchObject({
      code: "refresh_rejected",
    });
    expect(sentTokens).toEqual(["rt-ONCE"]);
  });

  it("serialises without the account's public key", () => {
    expect(JSON.stringify(paymentsGate(base))).not.toContain("SECRET-PEM");
  });
});
