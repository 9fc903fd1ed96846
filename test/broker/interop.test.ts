/**
 * Interoperability with an OAuth 2.0 client this project did not write (panva/oauth4webapi):
 * discovery, client_credentials with client_secret_basic and client_secret_post, token
 * exchange, introspection and revocation; the token verified against the published JWKS with
 * jose, and validated as an RFC 9068 access token by oauth4webapi itself.
 *
 * oauth4webapi insists on https, so the broker runs as https://broker.test, reached through
 * oauth4webapi's customFetch hook; and it checks timestamps against the real clock, so the
 * broker's clock starts at the real time here.
 */
import { createLocalJWKSet, jwtVerify } from "jose";
import * as oauth from "oauth4webapi";
import { beforeEach, describe, expect, it } from "vitest";
import { AUDIENCE, brokerWorld, ISSUER, quietLogs, SHOP, type World } from "../support/broker.ts";

beforeEach(() => {
  quietLogs();
});

type Body = string | URLSearchParams | undefined;

/** oauth4webapi's requests, delivered to the broker under test. */
function fetcherFor(world: World) {
  return (url: string, options: oauth.CustomFetchOptions<string, Body>): Promise<Response> => {
    const target = new URL(url);
    expect(target.origin).toBe(ISSUER);
    return world.send(`${target.pathname}${target.search}`, {
      method: options.method,
      headers: options.headers,
      ...(options.body === undefined ? {} : { body: options.body }),
    });
  };
}

async function discover(world: World) {
  const issuer = new URL(ISSUER);
  const options = { algorithm: "oauth2" as const, [oauth.customFetch]: fetcherFor(world) };
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, options));
}

describe("oauth4webapi against the broker", () => {
  it("discovers the server, gets a token with client_secret_basic, and the token verifies against the JWKS", async () => {
    const world = await brokerWorld({ start: Date.now() });
    const as = await discover(world);
    expect(as.issuer).toBe(ISSUER);
    expect(as.grant_types_supported).toContain("client_credentials");

    const client: oauth.Client = { client_id: SHOP.id };
    const options = { [oauth.customFetch]: fetcherFor(world) };
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      oauth.ClientSecretBasic(SHOP.secret),
      { scope: "ipospays:PaymentTokenization papaya:payments" },
      options,
    );
    const result = await oauth.processClientCredentialsResponse(as, client, response);
    expect(result.token_type).toBe("bearer");
    expect(result.expires_in).toBe(300);
    expect(result.scope).toBe("ipospays:PaymentTokenization papaya:payments");

    // Any JWT library: jose, with the key set from jwks_uri.
    const jwks = await (
      await fetcherFor(world)(String(as.jwks_uri), {
        method: "GET",
        headers: {},
        body: undefined,
        redirect: "manual",
      })
    ).json<{ keys: [] }>();
    const { payload, protectedHeader } = await jwtVerify(
      result.access_token,
      createLocalJWKSet(jwks),
      {
        issuer: as.issuer,
        audience: AUDIENCE,
        typ: "at+jwt",
        algorithms: ["ES256"],
      },
    );
    expect(protectedHeader.alg).toBe("ES256");
    expect(payload).toMatchObject({ client_id: "shop", sub: "shop", scope: result.scope });

    // And as a resource server would, with oauth4webapi's RFC 9068 validation.
    const request = new Request("https://api.example/pay", {
      headers: { Authorization: `Bearer ${result.access_token}` },
    });
    const claims = await oauth.validateJwtAccessToken(as, request, AUDIENCE, options);
    expect(claims.client_id).toBe("shop");
    expect(claims.jti).toBe(payload.jti);
  });

  it("client_secret_post, token exchange, introspection and revocation", async () => {
    const world = await brokerWorld({ start: Date.now() });
    const as = await discover(world);
    const client: oauth.Client = { client_id: SHOP.id };
    const auth = oauth.ClientSecretPost(SHOP.secret);
    const options = { [oauth.customFetch]: fetcherFor(world) };

    const issued = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(as, client, auth, {}, options),
    );
    const exchanged = await oauth.processGenericTokenEndpointResponse(
      as,
      client,
      await oauth.genericTokenEndpointRequest(
        as,
        client,
        auth,
        "urn:ietf:params:oauth:grant-type:token-exchange",
        {
          subject_token: issued.access_token,
          subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
          scope: "papaya:payments",
        },
        options,
      ),
    );
    expect(exchanged.scope).toBe("papaya:payments");
    expect(exchanged.issued_token_type).toBe("urn:ietf:params:oauth:token-type:access_token");

    const introspect = async (token: string) =>
      oauth.processIntrospectionResponse(
        as,
        client,
        await oauth.introspectionRequest(as, client, auth, token, options),
      );
    expect(await introspect(exchanged.access_token)).toMatchObject({
      active: true,
      scope: "papaya:payments",
      client_id: "shop",
    });
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, auth, exchanged.access_token, options),
    );
    expect((await introspect(exchanged.access_token)).active).toBe(false);
    expect((await introspect(issued.access_token)).active).toBe(true);
  });

  it("reads the broker's errors as RFC 6749 errors", async () => {
    const world = await brokerWorld({ start: Date.now() });
    const as = await discover(world);
    const client: oauth.Client = { client_id: SHOP.id };
    const options = { [oauth.customFetch]: fetcherFor(world) };
    const attempt = async (secret: string, scope: string) => {
      const response = await oauth.clientCredentialsGrantRequest(
        as,
        client,
        oauth.ClientSecretBasic(secret),
        { scope },
        options,
      );
      return oauth.processClientCredentialsResponse(as, client, response).then(
        () => undefined,
        (error: unknown) => error,
      );
    };
    // A 401 with WWW-Authenticate is a challenge to oauth4webapi; the body is still §5.2 JSON.
    const wrongSecret = await attempt("wrong", "papaya:payments");
    expect(wrongSecret).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    const challenge = wrongSecret as oauth.WWWAuthenticateChallengeError;
    expect(challenge.status).toBe(401);
    expect(challenge.cause).toEqual([{ scheme: "basic", parameters: { realm: "edgetoken" } }]);
    expect(await challenge.response.json()).toMatchObject({ error: "invalid_client" });
    expect(await attempt(SHOP.secret, "stripe:charges")).toMatchObject({
      error: "invalid_scope",
      status: 400,
    });
  });
});
