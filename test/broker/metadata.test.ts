/**
 * The broker's face: metadata (RFC 8414), the JWKS, the index and routing.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { createLocalJWKSet, jwtVerify } from "jose";
import { beforeEach, describe, expect, it } from "vitest";
import { SCOPES } from "../../worker/oauth/scopes.ts";
import {
  AUDIENCE,
  brokerWorld,
  headerOf,
  ISSUER,
  keyOf,
  newSigningKey,
  quietLogs,
  SHOP,
} from "../support/broker.ts";

beforeEach(() => {
  quietLogs();
});

describe("metadata (RFC 8414)", () => {
  it("names every endpoint, grant, scope and authentication method", async () => {
    const world = await brokerWorld();
    const response = await world.send("/.well-known/oauth-authorization-server");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(await response.json()).toEqual({
      issuer: ISSUER,
      token_endpoint: `${ISSUER}/oauth/token`,
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
      revocation_endpoint: `${ISSUER}/oauth/revoke`,
      introspection_endpoint: `${ISSUER}/oauth/introspect`,
      grant_types_supported: [
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:token-exchange",
      ],
      response_types_supported: [],
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
      revocation_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
      introspection_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
      scopes_supported: [...SCOPES],
      edgetoken_provider_token_endpoint: `${ISSUER}/provider-token`,
      edgetoken_proxy_endpoint: `${ISSUER}/proxy/`,
    });
  });

  it("without ISSUER (and development keys), the request's origin is the issuer", async () => {
    const world = await brokerWorld({ keys: "development", vars: { ISSUER: "" } });
    const ctx = createExecutionContext();
    const response = await world.broker.fetch(
      new Request("http://127.0.0.1:8787/.well-known/oauth-authorization-server"),
      world.env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    const metadata = await response.json<{ issuer: string; token_endpoint: string }>();
    expect(metadata.issuer).toBe("http://127.0.0.1:8787");
    expect(metadata.token_endpoint).toBe("http://127.0.0.1:8787/oauth/token");
  });
});

describe("JWKS (RFC 7517)", () => {
  it("publishes the public half of the signing key, and tokens verify against it", async () => {
    const world = await brokerWorld();
    const response = await world.send("/.well-known/jwks.json");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/jwk-set+json");
    const jwks = await response.json<{ keys: Record<string, unknown>[] }>();
    expect(jwks.keys).toHaveLength(1);
    const [key] = jwks.keys;
    expect(key).toMatchObject({
      kty: "EC",
      crv: "P-256",
      alg: "ES256",
      use: "sig",
      kid: keyOf(world).kid,
    });
    expect(key).not.toHaveProperty("d");

    const { access_token } = await world.token(SHOP);
    expect(headerOf(access_token)).toEqual({ alg: "ES256", typ: "at+jwt", kid: keyOf(world).kid });
    const verified = await jwtVerify(access_token, createLocalJWKSet(jwks), {
      issuer: ISSUER,
      audience: AUDIENCE,
      typ: "at+jwt",
      currentDate: new Date(world.clock.now()),
    });
    expect(verified.payload.client_id).toBe("shop");
  });

  it("publishes every key of BROKER_SIGNING_KEYS; the first signs", async () => {
    const [first, second] = [await newSigningKey(), await newSigningKey()];
    const world = await brokerWorld({
      vars: { BROKER_SIGNING_KEYS: JSON.stringify([first.jwk, second.jwk]) },
    });
    const jwks = await (await world.send("/.well-known/jwks.json")).json<{
      keys: { kid: string }[];
    }>();
    expect(jwks.keys.map((key) => key.kid)).toEqual([first.kid, second.kid]);
    const { access_token } = await world.token(SHOP);
    expect(headerOf(access_token).kid).toBe(first.kid);
  });
});

describe("index and routing", () => {
  it("GET / lists every endpoint", async () => {
    const world = await brokerWorld();
    const index = await (await world.send("/")).json<{ endpoints: Record<string, unknown> }>();
    expect(Object.keys(index.endpoints)).toEqual([
      "metadata",
      "jwks",
      "token",
      "revocation",
      "introspection",
      "provider_token",
      "health",
      "proxy",
    ]);
    expect(index.endpoints.proxy).toContainEqual({
      methods: ["POST"],
      url: `${ISSUER}/proxy/ipospays`,
      paths: "/api/v3/iposTransact",
      scope: "ipospays:PaymentTokenization",
    });
  });

  it("an unknown path is a JSON 404", async () => {
    const world = await brokerWorld();
    for (const path of [
      "/nope",
      "/oauth/token/",
      "/OAUTH/TOKEN",
      "/.well-known/openid-configuration",
    ]) {
      const response = await world.send(path);
      expect(response.status, path).toBe(404);
      expect(await response.json()).toMatchObject({ error: "not_found" });
    }
  });

  it("a wrong method is a 405 that says which are allowed", async () => {
    const world = await brokerWorld();
    const cases: Array<[string, string, string]> = [
      ["GET", "/oauth/token", "POST"],
      ["PUT", "/oauth/token", "POST"],
      ["GET", "/oauth/revoke", "POST"],
      ["DELETE", "/oauth/introspect", "POST"],
      ["GET", "/provider-token", "POST"],
      ["POST", "/.well-known/jwks.json", "GET, HEAD"],
      ["POST", "/.well-known/oauth-authorization-server", "GET, HEAD"],
      ["OPTIONS", "/oauth/token", "POST"],
    ];
    for (const [method, path, allow] of cases) {
      const response = await world.send(path, { method });
      expect(response.status, `${method} ${path}`).toBe(405);
      expect(response.headers.get("allow")).toBe(allow);
      expect(await response.json()).toMatchObject({ error: "method_not_allowed" });
    }
  });

  it("HEAD answers like GET without a body", async () => {
    const world = await brokerWorld();
    const response = await world.send("/.well-known/jwks.json", { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
  });
});
