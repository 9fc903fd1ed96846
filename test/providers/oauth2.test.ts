import { describe, expect, it } from "vitest";
import {
  oauth2ClientCredentials,
  oauth2TokenRequest,
  processOAuth2TokenResponse,
} from "../../src/index.ts";
import { formBody } from "../support/form-body.ts";
import { unsignedJwt } from "../support/jwt.ts";
import { sent, thrown } from "../support/sent.ts";

const T0 = Date.parse("2026-11-23T12:00:00Z");
const base = {
  tokenUrl: "https://auth.example.com/oauth/token",
  clientId: "client:1 é",
  clientSecret: "s3cr3t+/=&",
};

describe("OAuth 2.0 client credentials requests", () => {
  it("client_secret_basic form-encodes id and secret into the Authorization header", async () => {
    const request = oauth2TokenRequest({
      ...base,
      scope: ["payments", "refunds"],
      resource: "https://api.example.com",
    });
    expect(request.method).toBe("POST");
    expect(request.headers.get("content-type")).toBe("application/x-www-form-urlencoded");
    const basic = atob((request.headers.get("authorization") ?? "").replace(/^Basic /, ""));
    expect(basic).toBe("client%3A1+%C3%A9:s3cr3t%2B%2F%3D%26");
    const form = await formBody(request);
    expect(form.get("grant_type")).toBe("client_credentials");
    expect(form.get("scope")).toBe("payments refunds");
    expect(form.getAll("resource")).toEqual(["https://api.example.com"]);
    expect(form.has("client_secret")).toBe(false);
  });

  it("client_secret_post puts them in the body instead", async () => {
    const request = oauth2TokenRequest({
      ...base,
      authMethod: "client_secret_post",
      audience: "pay-api",
    });
    expect(request.headers.has("authorization")).toBe(false);
    const form = await formBody(request);
    expect(form.get("client_id")).toBe(base.clientId);
    expect(form.get("client_secret")).toBe(base.clientSecret);
    expect(form.get("audience")).toBe("pay-api");
  });

  it("refuses a plain-HTTP token URL off loopback, naming tokenUrl", () => {
    const error = thrown(() =>
      oauth2ClientCredentials({ ...base, tokenUrl: "http://auth.example.com/token" }),
    );
    expect(error.message).toMatch(/tokenUrl/);
  });
});

describe("OAuth 2.0 token responses", () => {
  it("reads expires_in from when the request was sent, and the JWT exp when earlier", async () => {
    const jwt = unsignedJwt({ exp: T0 / 1000 + 120 });
    const opaque = await sent(
      Response.json({ access_token: "opaque", token_type: "Bearer", expires_in: 600 }),
      T0,
    );
    expect(processOAuth2TokenResponse(opaque).expiresAt).toBe(T0 + 600_000);
    const both = await sent(
      Response.json({ access_token: jwt, token_type: "bearer", expires_in: 600 }),
      T0,
    );
    expect(processOAuth2TokenResponse(both).expiresAt).toBe(T0 + 120_000);
  });

  it("falls back to defaultLifetime when there is no signal at all", async () => {
    const answer = await sent(Response.json({ access_token: "opaque", token_type: "Bearer" }), T0);
    expect(processOAuth2TokenResponse(answer, { defaultLifetime: 90 }).expiresAt).toBe(T0 + 90_000);
  });

  it("refuses a token type other than Bearer", async () => {
    const answer = await sent(
      Response.json({ access_token: "x", token_type: "DPoP", expires_in: 60 }),
      T0,
    );
    expect(thrown(() => processOAuth2TokenResponse(answer)).code).toBe("invalid_response");
  });

  it("maps RFC 6749 §5.2 errors, never repeating error_description", async () => {
    const cases: Array<[string, number, string]> = [
      ["invalid_client", 401, "credentials"],
      ["unauthorized_client", 400, "credentials"],
      ["invalid_grant", 400, "credentials"],
      ["invalid_scope", 400, "scope"],
      ["invalid_request", 400, "configuration"],
      ["unsupported_grant_type", 400, "configuration"],
    ];
    for (const [error, status, code] of cases) {
      const body = { error, error_description: `bad secret ${base.clientSecret}` };
      const answer = await sent(Response.json(body, { status }), T0);
      const failure = thrown(() => processOAuth2TokenResponse(answer));
      expect(failure).toMatchObject({ code, providerCode: error, status, retryable: false });
      expect(failure.message).not.toContain(base.clientSecret);
    }
  });

  it("keys tokens by endpoint host, client and scopes, and serialises without the secret", () => {
    const provider = oauth2ClientCredentials({ ...base, scope: "b a" });
    expect(provider.key).toMatchObject({ provider: "oauth2:auth.example.com", scope: "a b" });
    expect(JSON.stringify(provider)).not.toContain(base.clientSecret);
  });
});
