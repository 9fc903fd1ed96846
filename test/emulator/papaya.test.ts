/**
 * Papaya Global contract tests from the emulator's side: PROVIDERS.md §3, with hand-built
 * requests.
 */
import { describe, expect, it } from "vitest";
import {
  foreignCopy,
  get,
  hs256Copy,
  ipospaysToken,
  json,
  PAPAYA,
  PATHS,
  papayaToken,
  payments,
  post,
  postJson,
  setup,
  T0,
  tampered,
  verified,
} from "../support/emulator-wire.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TO_THE_MINUTE = /^\d{4}-\d\d-\d\dT\d\d:\d\dZ$/;

async function expectInvalid(response: Response, status: 400 | 401): Promise<void> {
  expect(response.status).toBe(status);
  expect(await json(response)).toEqual({ error: "Invalid request" });
}

describe("Papaya obtain", () => {
  it("answers 201 {valid_until, token, token_name} with the seed's header and claims", async () => {
    const { emulator } = setup();
    const response = await emulator.fetch(
      postJson(PATHS.papayaToken, { ...PAPAYA, token_name: "checkout" }),
    );
    expect(response.status).toBe(201);
    const body = await json(response);
    expect(Object.keys(body).sort()).toEqual(["token", "token_name", "valid_until"]);
    expect(body.token_name).toBe("checkout");
    const { header, claims } = await verified(emulator, body.token as string);
    expect(header).toEqual({
      typ: "JWT",
      kid: "APIKEY0",
      api_token_id: expect.stringMatching(UUID),
      alg: "RS256",
    });
    expect(claims).toEqual({
      iat: T0 / 1000,
      exp: T0 / 1000 + 86_400,
      sub: "access",
      user: {
        id: expect.any(String),
        email: expect.any(String),
        owner: { id: expect.any(String), ownerType: expect.any(String) },
      },
    });
    expect(body.valid_until).toBe("2026-11-24T12:00Z");
  });

  it("names the token with a random UUID when no token_name is given", async () => {
    const { emulator } = setup();
    const a = await json(await emulator.fetch(postJson(PATHS.papayaToken, PAPAYA)));
    const b = await json(await emulator.fetch(postJson(PATHS.papayaToken, PAPAYA)));
    expect(a.token_name).toMatch(UUID);
    expect(b.token_name).toMatch(UUID);
    expect(a.token_name).not.toBe(b.token_name);
  });

  it("makes exp − iat equal the requested expiration, and floors valid_until to the minute", async () => {
    const { emulator, clock } = setup();
    clock.advance(31_000); // 12:00:31
    const response = await emulator.fetch(
      postJson(PATHS.papayaToken, { ...PAPAYA, expiration: 600 }),
    );
    const body = await json(response);
    const { claims } = await verified(emulator, body.token as string);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(600);
    expect(claims.exp).toBe((T0 + 31_000) / 1000 + 600); // 12:10:31
    expect(body.valid_until).toMatch(TO_THE_MINUTE);
    expect(body.valid_until).toBe("2026-11-23T12:10Z");
    expect(Date.parse(body.valid_until as string)).toBeLessThanOrEqual((claims.exp ?? 0) * 1000);
  });

  it("accepts credentials of accounts given in options", async () => {
    const { emulator } = setup({ accounts: { papaya: [{ apiKey: "k", clientSecret: "s" }] } });
    const ok = await emulator.fetch(
      postJson(PATHS.papayaToken, { api_key: "k", client_secret: "s" }),
    );
    expect(ok.status).toBe(201);
    await expectInvalid(await emulator.fetch(postJson(PATHS.papayaToken, PAPAYA)), 401);
  });

  it.each([
    ["a wrong api_key", { ...PAPAYA, api_key: "other-key" }],
    ["a wrong client_secret", { ...PAPAYA, client_secret: "other-secret" }],
  ])("401 {error: Invalid request} for %s", async (_name, body) => {
    const { emulator } = setup();
    await expectInvalid(await emulator.fetch(postJson(PATHS.papayaToken, body)), 401);
  });

  it.each([
    ["no api_key", { client_secret: PAPAYA.client_secret }],
    ["no client_secret", { api_key: PAPAYA.api_key }],
    ["an empty api_key", { ...PAPAYA, api_key: "" }],
    ["a numeric client_secret", { ...PAPAYA, client_secret: 1 }],
    ["a numeric token_name", { ...PAPAYA, token_name: 7 }],
    ["expiration 0", { ...PAPAYA, expiration: 0 }],
    ["a negative expiration", { ...PAPAYA, expiration: -60 }],
    ["a fractional expiration", { ...PAPAYA, expiration: 60.5 }],
    ["expiration as a string", { ...PAPAYA, expiration: "60" }],
    ["an absurd expiration", { ...PAPAYA, expiration: 1e20 }],
    ["a JSON array", [PAPAYA]],
    ["JSON null", null],
  ])("400 {error: Invalid request} for %s", async (_name, body) => {
    const { emulator } = setup();
    await expectInvalid(await emulator.fetch(postJson(PATHS.papayaToken, body)), 400);
  });

  it("400 for a body that is not JSON, and for JSON without a JSON content type", async () => {
    const { emulator } = setup();
    await expectInvalid(
      await emulator.fetch(post(PATHS.papayaToken, { "content-type": "application/json" }, "{")),
      400,
    );
    await expectInvalid(
      await emulator.fetch(
        post(PATHS.papayaToken, { "content-type": "text/plain" }, JSON.stringify(PAPAYA)),
      ),
      400,
    );
  });

  it("400 when the credentials come in headers only (the body carries them)", async () => {
    const { emulator } = setup();
    await expectInvalid(
      await emulator.fetch(
        post(PATHS.papayaToken, { api_key: PAPAYA.api_key, client_secret: PAPAYA.client_secret }),
      ),
      400,
    );
  });
});

describe("Papaya GET /v1/payments (protected)", () => {
  it("accepts Authorization: Bearer and answers {payments: []}", async () => {
    const { emulator } = setup();
    const response = await payments(emulator, await papayaToken(emulator));
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ payments: [] });
  });

  it("refuses no credentials, a token header alone, and a token without the scheme: 401", async () => {
    const { emulator } = setup();
    const token = await papayaToken(emulator);
    for (const headers of [
      {},
      { token },
      { authorization: token },
      { authorization: `Basic ${token}` },
    ]) {
      await expectInvalid(await emulator.fetch(get(PATHS.papayaApi, headers)), 401);
    }
  });

  it("refuses a token from its exp on, with the default and a custom lifetime", async () => {
    const { emulator, clock } = setup();
    const day = await papayaToken(emulator);
    const short = await papayaToken(emulator, { expiration: 60 });
    clock.advance(59_000);
    expect((await payments(emulator, short)).status).toBe(200);
    clock.advance(1000);
    await expectInvalid(await payments(emulator, short), 401);
    expect((await payments(emulator, day)).status).toBe(200);
    clock.advance(86_400_000);
    await expectInvalid(await payments(emulator, day), 401);
  });

  it("refuses a revoked token", async () => {
    const { emulator } = setup();
    const token = await papayaToken(emulator);
    emulator.revoke(token);
    await expectInvalid(await payments(emulator, token), 401);
  });

  it("refuses foreign-signed, HS256, tampered and other providers' tokens", async () => {
    const { emulator } = setup();
    const token = await papayaToken(emulator);
    for (const forged of [
      await foreignCopy(emulator, token),
      await hs256Copy(emulator, token),
      tampered(token, { exp: 9_999_999_999 }),
      await ipospaysToken(emulator),
    ]) {
      await expectInvalid(await payments(emulator, forged), 401);
    }
  });

  it("refuses a token issued before a reset", async () => {
    const { emulator } = setup();
    const token = await papayaToken(emulator);
    emulator.reset();
    await expectInvalid(await payments(emulator, token), 401);
  });

  it("has no refresh endpoint", async () => {
    const { emulator } = setup();
    expect((await emulator.fetch(postJson("/papaya/token/refresh", {}))).status).toBe(404);
  });
});
