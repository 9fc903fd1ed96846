/**
 * The broker's configuration: errors checked at the first request, and the embedded default of
 * wrangler.toml working against the emulator as shipped.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { createEmulator } from "../../src/emulator/index.ts";
import { createBroker } from "../../worker/broker.ts";
import { SCOPES } from "../../worker/oauth/scopes.ts";
import { basic, brokerWorld, form, newSigningKey, quietLogs, SHOP } from "../support/broker.ts";

beforeEach(() => {
  quietLogs();
});

describe("configuration, checked at the first request", () => {
  async function answer(vars: Partial<Cloudflare.Env>, path = "/oauth/token") {
    const world = await brokerWorld({ vars });
    const response = await world.send(path, form({ grant_type: "client_credentials" }));
    return { status: response.status, body: await response.json<Record<string, string>>() };
  }

  it("names the bad field and never its value", async () => {
    const cases: Array<[Partial<Cloudflare.Env>, string]> = [
      [{ BROKER_CLIENTS: "{not json" }, "configuration: BROKER_CLIENTS must be JSON"],
      [{ BROKER_CLIENTS: "" }, "configuration: BROKER_CLIENTS is missing"],
      [
        {
          BROKER_CLIENTS: JSON.stringify([
            {
              id: "a",
              secretHash: "sha256:super-secret-plaintext",
              scopes: [],
              audiences: ["x"],
              maxLifetime: 60,
            },
          ]),
        },
        'configuration: BROKER_CLIENTS[0].secretHash must be "sha256:" followed by the base64url SHA-256 of the secret (43 characters)',
      ],
      [
        {
          BROKER_CLIENTS: JSON.stringify([
            {
              id: "a",
              secretHash: `sha256:${"A".repeat(43)}`,
              scopes: [],
              audiences: ["x"],
              maxLifetime: 901,
            },
          ]),
        },
        "configuration: BROKER_CLIENTS[0].maxLifetime must be at most 900 seconds",
      ],
      [
        {
          BROKER_CLIENTS: JSON.stringify([
            {
              id: "a",
              secretHash: `sha256:${"A".repeat(43)}`,
              scope: [],
              audiences: ["x"],
              maxLifetime: 60,
            },
          ]),
        },
        "configuration: BROKER_CLIENTS[0].scopes is missing",
      ],
      [
        {
          BROKER_CLIENTS: JSON.stringify([
            {
              id: "a",
              secretHash: `sha256:${"A".repeat(43)}`,
              scopes: ["stripe:all"],
              audiences: ["x"],
              maxLifetime: 60,
            },
          ]),
        },
        `configuration: BROKER_CLIENTS[0].scopes[0] must be one of ${SCOPES.join(", ")}`,
      ],
      [
        {
          BROKER_CLIENTS: JSON.stringify([
            {
              id: "a",
              secretHash: `sha256:${"A".repeat(43)}`,
              scopes: [],
              audiences: ["x"],
              maxLifetime: 60,
              origins: ["*"],
            },
          ]),
        },
        'configuration: BROKER_CLIENTS[0].origins[0] must be an origin such as https://shop.example (no path, no "*")',
      ],
      [
        { TOKEN_ENCRYPTION_KEY: "short-but-secret-value" },
        "configuration: TOKEN_ENCRYPTION_KEY must be at least 32 characters of random secret",
      ],
      [
        { IPOSPAYS_SECRET_KEY: "" },
        "configuration: IPOSPAYS_SECRET_KEY must be set when IPOSPAYS_API_KEY is",
      ],
      [
        { PAPAYA_BASE_URL: "http://papaya.example.com/secret-path" },
        "configuration: PAPAYA_BASE_URL must be an https URL (http only on loopback) without query or fragment",
      ],
      [
        { ISSUER: "https://broker.example/path" },
        "configuration: ISSUER must be an https origin such as https://auth.example.com (no path)",
      ],
      [
        { BROKER_SIGNING_KEYS: "[]" },
        "configuration: BROKER_SIGNING_KEYS must hold at least one key",
      ],
    ];
    for (const [vars, description] of cases) {
      const { status, body } = await answer(vars);
      expect(status, description).toBe(503);
      expect(body).toEqual({ error: "server_error", error_description: description });
      for (const value of Object.values(vars)) {
        if (value) expect(JSON.stringify(body)).not.toContain(value);
      }
    }
  });

  it("production signing keys without ISSUER are refused: iss must not come from the Host header", async () => {
    const { status, body } = await answer({ ISSUER: "" });
    expect(status).toBe(503);
    expect(body).toEqual({
      error: "server_error",
      error_description:
        "configuration: ISSUER must be set when BROKER_SIGNING_KEYS is (otherwise each request's Host header would name the issuer)",
    });
    // A forged Host gets no token signed with the production key.
    const world = await brokerWorld({ vars: { ISSUER: "" } });
    const ctx = createExecutionContext();
    const response = await world.broker.fetch(
      new Request("https://evil.example/oauth/token", {
        ...form({ grant_type: "client_credentials" }),
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Authorization: basic(SHOP),
        },
      }),
      world.env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(503);
  });

  it("the typo of a field is named as unknown", async () => {
    const { body } = await answer({
      BROKER_CLIENTS: JSON.stringify([
        {
          id: "a",
          secretHash: `sha256:${"A".repeat(43)}`,
          scopes: [],
          audiences: ["x"],
          maxLifetime: 60,
          origin: [],
        },
      ]),
    });
    expect(body.error_description).toBe(
      "configuration: BROKER_CLIENTS[0].origin is not a known field",
    );
  });

  it("a signing key whose private half does not match its public half is refused", async () => {
    const [one, two] = [await newSigningKey(), await newSigningKey()];
    const { status, body } = await answer({
      BROKER_SIGNING_KEYS: JSON.stringify([{ ...one.jwk, d: two.jwk.d }]),
    });
    expect(status).toBe(503);
    expect(body.error_description).toBe(
      "configuration: BROKER_SIGNING_KEYS[0] must be a P-256 private key whose d matches x and y",
    );
    expect(JSON.stringify(body)).not.toContain(String(two.jwk.d));
  });

  it("every endpoint answers 503, and the problem is logged once", async () => {
    const { error: errors } = quietLogs();
    const world = await brokerWorld({ vars: { BROKER_CLIENTS: "[" } });
    for (const path of [
      "/",
      "/.well-known/jwks.json",
      "/proxy/ipospays/api/v3/iposTransact",
      "/nope",
    ]) {
      expect((await world.send(path)).status, path).toBe(503);
    }
    const logged = errors.mock.calls.filter(([line]) =>
      String(line).includes("configuration_error"),
    );
    expect(logged).toHaveLength(1);
  });
});

describe("the embedded default (wrangler.toml as shipped)", () => {
  async function send(broker: ReturnType<typeof createBroker>, path: string, init?: RequestInit) {
    const ctx = createExecutionContext();
    const response = await broker.fetch(
      new Request(`http://127.0.0.1:8787${path}`, init),
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return response;
  }

  it("client demo / demo-secret gets every scope, and the proxy reaches the emulated Transact", async () => {
    const emulator = createEmulator();
    const broker = createBroker({ runtime: { fetch: emulator.fetch } });
    const demo = { id: "demo", secret: "demo-secret" };
    const issued = await send(broker, "/oauth/token", {
      ...form({ grant_type: "client_credentials" }),
      headers: { "Content-Type": "application/x-www-form-urlencoded", Authorization: basic(demo) },
    });
    expect(issued.status).toBe(200);
    const token = await issued.json<{ access_token: string; scope: string; expires_in: number }>();
    expect(token.scope.split(" ")).toEqual([...SCOPES]);
    expect(token.expires_in).toBe(300);

    for (const scope of SCOPES) {
      const provider = await send(broker, "/provider-token", {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Authorization: basic(demo),
        },
        body: `scope=${scope}`,
      });
      expect(provider.status, scope).toBe(200);
    }

    const paid = await send(broker, "/proxy/ipospays/api/v3/iposTransact", {
      method: "POST",
      headers: {
        Authorization: `Bearer ${token.access_token}`,
        "Content-Type": "application/json",
      },
      body: JSON.stringify({ amount: 1250 }),
    });
    expect(paid.status).toBe(200);
    expect(await paid.json()).toMatchObject({
      iposhpresponse: { responseCode: "200", amount: 1250 },
    });
  });
});
