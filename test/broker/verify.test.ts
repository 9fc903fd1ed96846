/**
 * How the broker checks its own tokens: revocation (RFC 7009), introspection (RFC 7662), and
 * genuine tokens the proxy is not for. The forged and spoiled ones — every JWT attack at every
 * endpoint — are the table of attacks.test.ts.
 */
import { beforeEach, describe, expect, it } from "vitest";
import {
  AUDIENCE,
  brokerWorld,
  forge,
  ISSUER,
  PAYMENTS_API,
  PAYROLL,
  payloadOf,
  quietLogs,
  SHOP,
  type TestClient,
  type World,
} from "../support/broker.ts";

beforeEach(() => {
  quietLogs();
});

const TRANSACT = "/proxy/ipospays/api/v3/iposTransact";

function seconds(world: World): number {
  return Math.floor(world.clock.now() / 1000);
}

async function introspect(world: World, token: string, asker: TestClient = SHOP) {
  const response = await world.post("/oauth/introspect", asker, { token });
  expect(response.status).toBe(200);
  expect(response.headers.get("cache-control")).toBe("no-store");
  return response.json<Record<string, unknown>>();
}

function transact(world: World, token: string): Promise<Response> {
  return world.send(TRANSACT, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ amount: 1000 }),
  });
}

/** RFC 8693 without client credentials: possession of `subject` is the credential. */
async function exchangeWithoutCredentials(
  world: World,
  subject: string,
  scope: string,
): Promise<string> {
  const response = await world.post("/oauth/token", undefined, {
    grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
    subject_token: subject,
    subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
    scope,
  });
  expect(response.status).toBe(200);
  return (await response.json<{ access_token: string }>()).access_token;
}

describe("the proxy refuses genuine tokens that are not for it", () => {
  it("a genuine token for another audience", async () => {
    const world = await brokerWorld();
    const { access_token } = await world.token(SHOP, { resource: "https://payments.example" });
    expect((await transact(world, access_token)).status).toBe(401);
  });

  it("a token of a client that is no longer configured", async () => {
    const world = await brokerWorld();
    const token = await forge(world, { sub: "gone", client_id: "gone" });
    expect((await transact(world, token)).status).toBe(401);
  });
});

describe("revocation (RFC 7009)", () => {
  it("revokes a token of the calling client: introspection, the proxy and exchange refuse it", async () => {
    const world = await brokerWorld();
    const { access_token } = await world.token(SHOP);
    const response = await world.post("/oauth/revoke", SHOP, {
      token: access_token,
      token_type_hint: "access_token",
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await introspect(world, access_token)).toEqual({ active: false });
    expect((await transact(world, access_token)).status).toBe(401);
  });

  it("is kept in KV until the token would have expired, so another isolate refuses it too", async () => {
    const world = await brokerWorld();
    const { access_token } = await world.token(SHOP, { expires_in: "600" });
    await world.post("/oauth/revoke", SHOP, { token: access_token });
    const jti = String(payloadOf(access_token).jti);
    const listed = await world.env.TOKENS.list({ prefix: "edgetoken:broker:v1:revoked:" });
    const entry = listed.keys.find((key) => key.name.endsWith(jti));
    expect(entry?.expiration).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 590);
    world.restart();
    expect(await introspect(world, access_token)).toEqual({ active: false });
  });

  it("answers 200 for unknown, malformed, expired and already revoked tokens", async () => {
    const world = await brokerWorld();
    const { access_token } = await world.token(SHOP);
    for (const token of ["garbage", "a.b.c", access_token, access_token]) {
      expect((await world.post("/oauth/revoke", SHOP, { token })).status).toBe(200);
    }
    world.clock.advance(400_000);
    expect((await world.post("/oauth/revoke", SHOP, { token: access_token })).status).toBe(200);
  });

  it("another client's token is left alone, with the same 200", async () => {
    const world = await brokerWorld();
    const { access_token } = await world.token(SHOP);
    expect((await world.post("/oauth/revoke", PAYROLL, { token: access_token })).status).toBe(200);
    expect(await introspect(world, access_token)).toMatchObject({ active: true });
  });

  it("the subject of an exchanged token may revoke it", async () => {
    const world = await brokerWorld();
    const subject = await world.token(SHOP);
    const exchanged = await world.post("/oauth/token", PAYROLL, {
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token: subject.access_token,
      subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
    });
    const { access_token } = await exchanged.json<{ access_token: string }>();
    await world.post("/oauth/revoke", SHOP, { token: access_token });
    expect(await introspect(world, access_token, PAYROLL)).toEqual({ active: false });
  });

  it("revoking a token kills every token exchanged from it, at the proxy and at introspection", async () => {
    const world = await brokerWorld();
    const parent = (await world.token(SHOP)).access_token;
    const child = await exchangeWithoutCredentials(world, parent, "ipospays:PaymentTokenization");
    const grandchild = await exchangeWithoutCredentials(
      world,
      child,
      "ipospays:PaymentTokenization",
    );
    const byActor = await world.post("/oauth/token", PAYROLL, {
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token: parent,
      subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
    });
    const acted = (await byActor.json<{ access_token: string }>()).access_token;
    expect((await transact(world, grandchild)).status).toBe(200);

    expect((await world.post("/oauth/revoke", SHOP, { token: parent })).status).toBe(200);
    for (const token of [child, grandchild]) {
      expect(await introspect(world, token)).toEqual({ active: false });
      expect((await transact(world, token)).status).toBe(401);
    }
    expect(await introspect(world, acted, PAYROLL)).toEqual({ active: false });
    // Another isolate, which only has KV, refuses them too.
    world.restart();
    expect((await transact(world, grandchild)).status).toBe(401);
    // Each carries the jti of the token at the root of its exchanges; a root carries none.
    const root = payloadOf(parent).jti;
    expect(payloadOf(parent)).not.toHaveProperty("root_jti");
    for (const token of [child, grandchild, acted]) expect(payloadOf(token).root_jti).toBe(root);
  });

  it("revoking a token in the middle of a chain kills what was exchanged from it, not its root", async () => {
    const world = await brokerWorld();
    const root = (await world.token(SHOP)).access_token;
    const page = await exchangeWithoutCredentials(world, root, "ipospays:PaymentTokenization");
    const child = await exchangeWithoutCredentials(world, page, "ipospays:PaymentTokenization");
    const grandchild = await exchangeWithoutCredentials(
      world,
      child,
      "ipospays:PaymentTokenization",
    );
    expect((await transact(world, child)).status).toBe(200);

    expect((await world.post("/oauth/revoke", SHOP, { token: page })).status).toBe(200);
    for (const token of [page, child, grandchild]) {
      expect(await introspect(world, token)).toEqual({ active: false });
      expect((await transact(world, token)).status).toBe(401);
      const again = await world.post("/oauth/token", undefined, {
        grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
        subject_token: token,
        subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
      });
      expect(again.status).toBe(400);
      expect(await again.json()).toMatchObject({ error: "invalid_grant" });
    }
    expect(await introspect(world, root)).toMatchObject({ active: true });
    // Another isolate, with only KV to go by, refuses them too.
    world.restart();
    expect((await transact(world, grandchild)).status).toBe(401);
    // Each carries its whole lineage: the root, then every ancestor after it.
    const jti = (token: string) => payloadOf(token).jti;
    expect(payloadOf(page)).not.toHaveProperty("chain");
    expect(payloadOf(child)).toMatchObject({ root_jti: jti(root), chain: [jti(page)] });
    expect(payloadOf(grandchild)).toMatchObject({
      root_jti: jti(root),
      chain: [jti(page), jti(child)],
    });
  });

  it("a chain is bounded: a token exchanged eight times past its root cannot be exchanged again", async () => {
    const world = await brokerWorld();
    let token = (await world.token(SHOP)).access_token;
    for (let depth = 1; depth <= 9; depth++) {
      token = await exchangeWithoutCredentials(world, token, "ipospays:PaymentTokenization");
    }
    expect(payloadOf(token).chain).toHaveLength(8);
    const deeper = await world.post("/oauth/token", undefined, {
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token: token,
      subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
    });
    expect(deeper.status).toBe(400);
    expect(await deeper.json()).toMatchObject({ error: "invalid_request" });
    // A forged token with a longer chain is not one of ours.
    const chain = Array.from({ length: 9 }, (_, i) => `ancestor-${i}`);
    const forged = await forge(world, { root_jti: "root", chain });
    expect((await transact(world, forged)).status).toBe(401);
  });

  it("revoking a child leaves its parent alive", async () => {
    const world = await brokerWorld();
    const parent = (await world.token(SHOP)).access_token;
    const child = await exchangeWithoutCredentials(world, parent, "ipospays:PaymentTokenization");
    await world.post("/oauth/revoke", SHOP, { token: child });
    expect(await introspect(world, child)).toEqual({ active: false });
    expect(await introspect(world, parent)).toMatchObject({ active: true });
  });

  it("needs client authentication and a token", async () => {
    const world = await brokerWorld();
    const { access_token } = await world.token(SHOP);
    expect((await world.post("/oauth/revoke", undefined, { token: access_token })).status).toBe(
      401,
    );
    const missing = await world.post("/oauth/revoke", SHOP, {});
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: "invalid_request" });
    expect(await introspect(world, access_token)).toMatchObject({ active: true });
  });
});

describe("introspection (RFC 7662)", () => {
  it("describes an active token", async () => {
    const world = await brokerWorld();
    const { access_token } = await world.token(SHOP, { scope: "papaya:payments" });
    const now = seconds(world);
    expect(await introspect(world, access_token)).toEqual({
      active: true,
      scope: "papaya:payments",
      client_id: "shop",
      token_type: "Bearer",
      exp: now + 300,
      iat: now,
      sub: "shop",
      aud: AUDIENCE,
      iss: ISSUER,
      jti: payloadOf(access_token).jti,
    });
  });

  it("another client that lists the broker's audience cannot read a client's tokens", async () => {
    const world = await brokerWorld();
    // PAYROLL lists AUDIENCE (it uses the proxy), as does every client whose tokens do.
    const { access_token } = await world.token(SHOP);
    expect(await introspect(world, access_token, PAYROLL)).toEqual({ active: false });
    expect(await introspect(world, access_token, SHOP)).toMatchObject({ active: true });
  });

  it("a resource server that is neither holder nor subject gets active: false (it verifies with the JWKS)", async () => {
    const world = await brokerWorld();
    const forApi = await world.token(SHOP, { resource: "https://payments.example" });
    expect(await introspect(world, forApi.access_token, PAYMENTS_API)).toEqual({ active: false });
  });

  it("shows the actor of an exchanged token", async () => {
    const world = await brokerWorld();
    const subject = await world.token(SHOP);
    const exchanged = await world.post("/oauth/token", PAYROLL, {
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token: subject.access_token,
      subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
    });
    const { access_token } = await exchanged.json<{ access_token: string }>();
    const described = {
      active: true,
      sub: "shop",
      client_id: "payroll",
      act: { sub: "payroll" },
    };
    // Its holder and its subject may read it.
    expect(await introspect(world, access_token, PAYROLL)).toMatchObject(described);
    expect(await introspect(world, access_token, SHOP)).toMatchObject(described);
  });

  it("is for authenticated clients only, and needs a token", async () => {
    const world = await brokerWorld();
    const { access_token } = await world.token(SHOP);
    const anonymous = await world.post("/oauth/introspect", undefined, { token: access_token });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: "invalid_client" });
    const missing = await world.post("/oauth/introspect", SHOP, {});
    expect(missing.status).toBe(400);
  });
});
