import { describe, expect, it } from "vitest";
import {
  type IposPaysOptions,
  ipospays,
  ipospaysGenerateRequest,
  ipospaysRefreshRequest,
  processIposPaysResponse,
  Token,
} from "../../src/index.ts";
import { unsignedJwt } from "../support/jwt.ts";
import { sent, thrown } from "../support/sent.ts";

const T0 = Date.parse("2026-11-23T12:00:00Z");
const API_KEY = "ipos-api-KEY-9c1e";
const SECRET_KEY = "ipos-secret-KEY-77aa";
const base: IposPaysOptions = {
  apiKey: API_KEY,
  secretKey: SECRET_KEY,
  scope: "PaymentTokenization",
};
const jwt = (minutes: number): string =>
  unsignedJwt({
    scope: "PaymentTokenization",
    uniqueId: "u-1",
    iat: T0 / 1000,
    exp: T0 / 1000 + minutes * 60,
  });
const success = (token: string) =>
  ({ responseCode: "00", responseMessage: "Success", createdDt: String(T0), token }) as const;

describe("iPOSpays requests", () => {
  it("generate sends the credentials as headers to the sandbox host by default", async () => {
    const request = ipospaysGenerateRequest({ ...base, expiryMinutes: 60 });
    expect(request.method).toBe("POST");
    expect(request.url).toBe("https://auth.ipospays.tech/v1/authenticate-token");
    expect(request.headers.get("apiKey")).toBe(API_KEY);
    expect(request.headers.get("secretKey")).toBe(SECRET_KEY);
    expect(request.headers.get("scope")).toBe("PaymentTokenization");
    expect(request.headers.get("jwtTokenExpiryMinutes")).toBe("60");
    expect(await request.text()).toBe("");
  });

  it("production uses the published production host; baseUrl overrides either", () => {
    expect(ipospaysGenerateRequest({ ...base, environment: "production" }).url).toBe(
      "https://auth.ipospays.com/v1/authenticate-token",
    );
    expect(
      ipospaysGenerateRequest({ ...base, baseUrl: "http://127.0.0.1:8788/ipospays/" }).url,
    ).toBe("http://127.0.0.1:8788/ipospays/v1/authenticate-token");
  });

  it("spells the expiry header as asked, and omits it when no lifetime is asked", () => {
    const hpp = ipospaysGenerateRequest({
      ...base,
      expiryMinutes: 45,
      expiryHeader: "TokenExpiryMinutes",
    });
    expect(hpp.headers.get("TokenExpiryMinutes")).toBe("45");
    expect(hpp.headers.has("jwtTokenExpiryMinutes")).toBe(false);
    expect(ipospaysGenerateRequest(base).headers.has("jwtTokenExpiryMinutes")).toBe(false);
  });

  it("refresh sends refreshToken: true and the token, and no key or secret", () => {
    const previous = new Token({ value: jwt(60), obtainedAt: T0, expiresAt: T0 + 3_600_000 });
    const request = ipospaysRefreshRequest(base, previous);
    expect(request.url).toBe("https://auth.ipospays.tech/v1/refresh-token");
    expect(request.headers.get("refreshToken")).toBe("true");
    expect(request.headers.get("token")).toBe(previous.value);
    expect(request.headers.has("apiKey")).toBe(false);
    expect(request.headers.has("secretKey")).toBe(false);
  });

  it("rejects a lifetime outside 30–1440 minutes before sending (AUTH_ERR_011/012)", () => {
    for (const [expiryMinutes, providerCode] of [
      [29, "AUTH_ERR_011"],
      [1441, "AUTH_ERR_012"],
    ] as const) {
      const error = thrown(() => ipospays({ ...base, expiryMinutes }));
      expect(error).toMatchObject({ code: "configuration", providerCode, retryable: false });
    }
    expect(() => ipospays({ ...base, expiryMinutes: 30 })).not.toThrow();
    expect(() => ipospays({ ...base, expiryMinutes: 1440 })).not.toThrow();
    expect(thrown(() => ipospays({ ...base, expiryMinutes: 60.5 })).code).toBe("configuration");
  });

  it("checks the scope against a declared key level", () => {
    expect(
      thrown(() => ipospays({ ...base, scope: "ExternalApi", keyLevel: "merchant" })).code,
    ).toBe("scope");
    expect(
      thrown(() => ipospays({ ...base, scope: "PaymentTokenization", keyLevel: "agent" })).code,
    ).toBe("scope");
    expect(() => ipospays({ ...base, scope: "ExternalApi", keyLevel: "iso" })).not.toThrow();
    expect(() => ipospays({ ...base, scope: "BatchReport", keyLevel: "merchant" })).not.toThrow();
  });

  it("refuses credentials a header cannot carry, without quoting them", () => {
    const error = thrown(() => ipospays({ ...base, secretKey: "s3cr3t-VALUE\nX-Injected: 1" }));
    expect(error.code).toBe("configuration");
    expect(error.message).toMatch(/secretKey/);
    expect(`${error.message}${String(error.stack)}${JSON.stringify(error)}`).not.toContain(
      "s3cr3t",
    );
  });

  it("names the option at fault, never its value", () => {
    const error = thrown(() => ipospays({ ...base, scope: "Everything" as never, apiKey: "" }));
    expect(error.code).toBe("configuration");
    expect(error.message).toMatch(/apiKey/);
    expect(error.message).toMatch(/scope/);
    expect(thrown(() => ipospays({ ...base, baseUrl: "http://ipospays.example" })).message).toMatch(
      /https/,
    );
  });
});

describe("iPOSpays responses", () => {
  it("a success gives a token whose expiry is the earliest of the JWT exp and the asked lifetime", async () => {
    const token = processIposPaysResponse(
      await sent(Response.json(success(jwt(60))), T0),
      "generate",
      {
        expiryMinutes: 45,
      },
    );
    expect(token.expiresAt).toBe(T0 + 45 * 60_000);
    const long = processIposPaysResponse(
      await sent(Response.json(success(jwt(60))), T0),
      "generate",
    );
    expect(long.expiresAt).toBe(T0 + 60 * 60_000);
  });

  it("accepts createdDt as epoch-ms text or a zone-less local date-time, and relies on neither", async () => {
    const localTime = { ...success(jwt(60)), createdDt: "2025-04-16T12:48:22.260979707" };
    expect(
      processIposPaysResponse(await sent(Response.json(localTime), T0), "generate").expiresAt,
    ).toBe(T0 + 3_600_000);
  });

  const table: Array<[string, "generate" | "refresh", string, boolean]> = [
    ["AUTH_ERR_001", "generate", "configuration", false],
    ["AUTH_ERR_002", "generate", "configuration", false],
    ["AUTH_ERR_003", "generate", "configuration", false],
    ["AUTH_ERR_004", "generate", "credentials", false],
    ["AUTH_ERR_005", "generate", "scope", false],
    ["AUTH_ERR_006", "refresh", "refresh_rejected", false],
    ["AUTH_ERR_007", "refresh", "refresh_rejected", false],
    ["AUTH_ERR_008", "refresh", "refresh_rejected", false],
    ["AUTH_ERR_009", "refresh", "protocol", false],
    ["AUTH_ERR_011", "generate", "configuration", false],
    ["AUTH_ERR_012", "generate", "configuration", false],
  ];
  for (const [providerCode, endpoint, code, retryable] of table) {
    it(`${providerCode} on ${endpoint} is ${code}, retryable ${retryable}, under any HTTP status`, async () => {
      for (const status of [200, 400, 401, 403]) {
        const body = { errorCode: providerCode, errorMessage: `message for ${API_KEY}` };
        const answer = await sent(Response.json(body, { status }), T0);
        const error = thrown(() => processIposPaysResponse(answer, endpoint));
        expect(error).toMatchObject({ code, providerCode, status, retryable });
        expect(error.message).not.toContain(API_KEY);
      }
    });
  }

  it("a responseCode other than 00 is an error, whatever the status", async () => {
    const body = { responseCode: "05", responseMessage: "Declined", token: jwt(60) };
    const answer = await sent(Response.json(body), T0);
    const error = thrown(() => processIposPaysResponse(answer, "generate"));
    expect(error).toMatchObject({ providerCode: "05", retryable: false });
  });

  it("an undocumented error code is an error that is not retried", async () => {
    const answer = await sent(Response.json({ errorCode: "AUTH_ERR_099" }), T0);
    const error = thrown(() => processIposPaysResponse(answer, "generate"));
    expect(error).toMatchObject({
      code: "invalid_response",
      providerCode: "AUTH_ERR_099",
      retryable: false,
    });
  });

  it("non-JSON, the wrong shape, a non-JWT token and a bare 401 are errors", async () => {
    const cases: Array<[Response, "generate" | "refresh", string]> = [
      [new Response("<html>oops</html>", { status: 200 }), "generate", "invalid_response"],
      [Response.json({ responseCode: "00" }), "generate", "invalid_response"],
      [Response.json(success("not-a-jwt")), "generate", "invalid_response"],
      [new Response("Unauthorized", { status: 401 }), "generate", "credentials"],
      [new Response("Unauthorized", { status: 401 }), "refresh", "refresh_rejected"],
      [Response.json(success(jwt(60)), { status: 404 }), "generate", "invalid_response"],
    ];
    for (const [response, endpoint, code] of cases) {
      const answer = await sent(response, T0);
      expect(thrown(() => processIposPaysResponse(answer, endpoint)).code).toBe(code);
    }
  });
});

describe("iPOSpays tokens on protected APIs", () => {
  const provider = ipospays(base);
  const token = new Token({ value: jwt(60), obtainedAt: T0, expiresAt: T0 + 3_600_000 });

  it("applies the token as a `token` header, with no Bearer", () => {
    const request = provider.apply(
      new Request("https://payment.ipospays.tech/api/v3/iposTransact"),
      token,
    );
    expect(request.headers.get("token")).toBe(token.value);
    expect(request.headers.has("Authorization")).toBe(false);
  });

  it("reads 401 as rejected, and AuthenticationRefreshRequired (header or body) as renew", async () => {
    const inspect = (response: Response) => provider.inspect?.(response);
    expect(await inspect(new Response("", { status: 401 }))).toBe("rejected");
    expect(await inspect(Response.json({ ok: true }))).toBe("ok");
    expect(
      await inspect(new Response("{}", { headers: { AuthenticationRefreshRequired: "true" } })),
    ).toBe("renew");
    const flagged = Response.json({ AuthenticationRefreshRequired: true, iposhpresponse: {} });
    expect(await inspect(flagged)).toBe("renew");
    // The caller still gets to read the body.
    expect(await flagged.json()).toMatchObject({ AuthenticationRefreshRequired: true });
  });

  it("serialises without the key or secret", () => {
    const text = JSON.stringify(provider);
    expect(text).not.toContain(API_KEY);
    expect(text).not.toContain(SECRET_KEY);
  });
});
