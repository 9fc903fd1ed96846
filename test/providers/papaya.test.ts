import { describe, expect, it } from "vitest";
import { papaya, papayaObtainRequest, processPapayaResponse } from "../../src/index.ts";
import { unsignedJwt } from "../support/jwt.ts";
import { sent, thrown } from "../support/sent.ts";

const T0 = Date.parse("2024-07-10T07:48:31Z");
const base = { apiKey: "papaya-KEY-31", clientSecret: "papaya-SECRET-99" };
// The seed's sample: valid_until truncated to the minute, the JWT exp 31 s later.
const exp = Date.parse("2024-07-11T07:48:31Z") / 1000;
const token = unsignedJwt({ iat: exp - 86_400, exp, sub: "access", user: { id: "u" } });
const obtained = { valid_until: "2024-07-11T07:48Z", token, token_name: "82725488-22bf" };

describe("Papaya Global requests", () => {
  it("obtain posts api_key, client_secret and the optional name and lifetime as JSON", async () => {
    const request = papayaObtainRequest({ ...base, tokenName: "checkout", expiration: 3600 });
    expect(request.method).toBe("POST");
    expect(request.url).toBe("https://authentication-service.staging.pay.papayaglobal.work/token");
    expect(await request.json()).toEqual({
      api_key: base.apiKey,
      client_secret: base.clientSecret,
      token_name: "checkout",
      expiration: 3600,
    });
    expect(await papayaObtainRequest(base).json()).toEqual({
      api_key: base.apiKey,
      client_secret: base.clientSecret,
    });
  });

  it("production has no published host: without baseUrl it is a configuration error naming it", () => {
    const error = thrown(() => papaya({ ...base, environment: "production" }));
    expect(error.code).toBe("configuration");
    expect(error.message).toMatch(/baseUrl/);
  });

  it("HTTPS only (HTTP on loopback for the emulator)", () => {
    expect(thrown(() => papaya({ ...base, baseUrl: "http://papaya.example" })).code).toBe(
      "configuration",
    );
    expect(() => papaya({ ...base, baseUrl: "http://127.0.0.1:8788/papaya" })).not.toThrow();
  });
});

describe("Papaya Global responses", () => {
  it("201 gives a token expiring at valid_until, the earlier of it and the JWT exp", async () => {
    const answer = await sent(Response.json(obtained, { status: 201 }), T0);
    expect(processPapayaResponse(answer).expiresAt).toBe(Date.parse("2024-07-11T07:48:00Z"));
  });

  it("parses full ISO 8601 too, and the requested lifetime wins when earlier", async () => {
    const full = { ...obtained, valid_until: "2024-07-11T07:48:31.000+00:00" };
    const answer = await sent(Response.json(full, { status: 201 }), T0);
    expect(processPapayaResponse(answer).expiresAt).toBe(exp * 1000);
    expect(processPapayaResponse(answer, { expiration: 3600 }).expiresAt).toBe(T0 + 3_600_000);
  });

  it("corrects valid_until by the provider's Date header", async () => {
    const response = Response.json(obtained, {
      status: 201,
      headers: { Date: new Date(T0 + 5 * 60_000).toUTCString() },
    });
    const answer = await sent(response, T0);
    expect(processPapayaResponse(answer).expiresAt).toBe(Date.parse("2024-07-11T07:43:00Z"));
  });

  it("401 {error} is a credentials error; 400 is configuration; junk is invalid_response", async () => {
    const cases: Array<[Response, string]> = [
      [Response.json({ error: "Invalid request" }, { status: 401 }), "credentials"],
      [Response.json({ error: "Invalid request" }, { status: 400 }), "configuration"],
      [
        Response.json({ ...obtained, valid_until: "tomorrow" }, { status: 201 }),
        "invalid_response",
      ],
      [Response.json({ ...obtained, token: "opaque" }, { status: 201 }), "invalid_response"],
      [new Response("<html>", { status: 201 }), "invalid_response"],
    ];
    for (const [response, code] of cases) {
      const answer = await sent(response, T0);
      expect(thrown(() => processPapayaResponse(answer)).code).toBe(code);
    }
  });

  it("has no refresh: the source obtains anew", () => {
    const provider = papaya(base);
    expect(provider.refresh).toBeUndefined();
    expect(JSON.stringify(provider)).not.toContain(base.clientSecret);
    expect(JSON.stringify(provider)).not.toContain(base.apiKey);
  });
});
