/**
 * The emulator's state: call counts, its clock (advance()) and reset(), the signing key, and the
 * default accounts.
 */
import { createLocalJWKSet, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { createEmulator, DEFAULT_ACCOUNTS } from "../../src/emulator/index.ts";
import { prepareAll } from "../support/emulator-endpoints.ts";
import {
  get,
  HTTP_DATE_T0,
  ipospaysToken,
  MERCHANT,
  MINUTE,
  PAPAYA,
  PATHS,
  PG_KEY_B64,
  papayaToken,
  payin,
  paymentsgatePair,
  post,
  postJson,
  setup,
  T0,
  transact,
} from "../support/emulator-wire.ts";

describe("calls()", () => {
  it("counts per endpoint, keyed METHOD /path, listing only endpoints called", async () => {
    const { emulator } = setup();
    const token = await ipospaysToken(emulator);
    await transact(emulator, token);
    await transact(emulator, token);
    await emulator.fetch(post(PATHS.ipospaysToken)); // an error is still a call
    expect(emulator.calls()).toEqual({
      "POST /ipospays/v1/authenticate-token": 2,
      "POST /ipospays/api/v3/iposTransact": 2,
    });
  });

  it("counts every endpoint under its own key", async () => {
    const { emulator } = setup();
    const all = await prepareAll(emulator);
    emulator.reset();
    for (const entry of all) await emulator.fetch(entry.request());
    expect(emulator.calls()).toEqual({
      "POST /ipospays/v1/authenticate-token": 1,
      "POST /ipospays/v1/refresh-token": 1,
      "POST /ipospays/api/v3/iposTransact": 1,
      "POST /paymentsgate/auth/token": 1,
      "POST /paymentsgate/auth/token/refresh": 1,
      "POST /paymentsgate/deals/payin": 1,
      "POST /papaya/token": 1,
      "GET /papaya/v1/payments": 1,
    });
  });

  it("counts faulted calls, and not 404s, 405s or controls", async () => {
    const { emulator } = setup();
    emulator.addFault({ kind: "status", status: 500 });
    await emulator.fetch(postJson(PATHS.papayaToken, PAPAYA));
    await emulator.fetch(post("/nowhere"));
    await emulator.fetch(get(PATHS.papayaToken));
    await emulator.fetch(get("/_emulator/calls"));
    await emulator.fetch(post("/_emulator/reset-not"));
    expect(emulator.calls()).toEqual({ "POST /papaya/token": 1 });
  });

  it("returns a copy", async () => {
    const { emulator } = setup();
    await emulator.fetch(postJson(PATHS.papayaToken, PAPAYA));
    const calls = emulator.calls();
    calls["POST /papaya/token"] = 99;
    expect(emulator.calls()).toEqual({ "POST /papaya/token": 1 });
  });
});

describe("refused()", () => {
  it("counts the tokens each endpoint refused, by why; reset() forgets them", async () => {
    const { emulator, clock } = setup();
    const papaya = await papayaToken(emulator);
    const ipos = await ipospaysToken(emulator);
    const payments = (token: string) =>
      emulator.fetch(get(PATHS.papayaApi, { Authorization: `Bearer ${token}` }));
    expect((await payments(papaya)).status).toBe(200);
    expect(emulator.refused()).toEqual({});
    emulator.revoke(ipos);
    await transact(emulator, ipos);
    await payments("not-a-token");
    clock.advance(25 * 60 * MINUTE);
    await payments(papaya);
    await payments(papaya);
    expect(emulator.refused()).toEqual({
      "POST /ipospays/api/v3/iposTransact": { revoked: 1 },
      "GET /papaya/v1/payments": { malformed: 1, expired: 2 },
    });
    const copy = emulator.refused();
    (copy["GET /papaya/v1/payments"] ?? {}).expired = 99;
    expect(emulator.refused()["GET /papaya/v1/payments"]?.expired).toBe(2);
    emulator.reset();
    expect(emulator.refused()).toEqual({});
  });

  it("answers GET /_emulator/refused", async () => {
    const { emulator } = setup();
    await emulator.fetch(get(PATHS.papayaApi, { Authorization: "Bearer x" }));
    const response = await emulator.fetch(get("/_emulator/refused"));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ "GET /papaya/v1/payments": { malformed: 1 } });
  });
});

describe("advance() and reset()", () => {
  it("advance() moves the emulator's clock only, backwards too", async () => {
    const { emulator } = setup();
    emulator.advance(-MINUTE);
    const response = await emulator.fetch(post("/nowhere"));
    expect(response.headers.get("date")).toBe(new Date(T0 - MINUTE).toUTCString());
  });

  it("advance() expires tokens like the injected clock does", async () => {
    const { emulator } = setup();
    const token = await ipospaysToken(emulator, "PaymentTokenization", {
      jwtTokenExpiryMinutes: "30",
    });
    emulator.advance(30 * MINUTE);
    expect((await transact(emulator, token)).status).toBe(401);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, 1e300])(
    "advance(%s) throws a RangeError",
    (ms) => {
      const { emulator } = setup();
      expect(() => emulator.advance(ms)).toThrow(RangeError);
    },
  );

  it("reset() forgets counts, faults, the clock offset, issued tokens and refresh tokens", async () => {
    const { emulator } = setup();
    const ipos = await ipospaysToken(emulator);
    const pair = await paymentsgatePair(emulator);
    emulator.addFault({ kind: "status", status: 503 });
    emulator.advance(MINUTE);
    emulator.reset();
    expect(emulator.calls()).toEqual({});
    const response = await emulator.fetch(post("/nowhere"));
    expect(response.status).toBe(404);
    expect(response.headers.get("date")).toBe(HTTP_DATE_T0);
    expect((await transact(emulator, ipos)).status).toBe(401);
    expect((await payin(emulator, pair.access_token)).status).toBe(401);
    expect(
      (
        await emulator.fetch(
          postJson(
            PATHS.paymentsgateRefresh,
            { refresh_token: pair.refresh_token },
            { authorization: `Bearer ${pair.access_token}` },
          ),
        )
      ).status,
    ).toBe(401);
  });

  it("reset() keeps the signing key: one key per emulator", async () => {
    const { emulator } = setup();
    const before = await emulator.jwks();
    emulator.reset();
    expect(await emulator.jwks()).toEqual(before);
    expect((await transact(emulator, await ipospaysToken(emulator))).status).toBe(200);
  });

  it("reset() forgets revocations along with the tokens they named", async () => {
    const { emulator } = setup();
    emulator.revoke("anything");
    emulator.reset();
    expect((await transact(emulator, await ipospaysToken(emulator))).status).toBe(200);
  });
});

describe("the signing key", () => {
  it("is published as a public RS256 JWK with kid APIKEY0 and no private part", async () => {
    const { emulator } = setup();
    const { keys } = await emulator.jwks();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({
      kty: "RSA",
      kid: "APIKEY0",
      alg: "RS256",
      use: "sig",
      e: "AQAB",
    });
    expect(keys[0]).not.toHaveProperty("d");
  });

  it("verifies every provider's tokens with a stock JWT library", async () => {
    const { emulator } = setup();
    const jwks = createLocalJWKSet(await emulator.jwks());
    const tokens = [
      await ipospaysToken(emulator),
      (await paymentsgatePair(emulator)).access_token,
      await papayaToken(emulator),
    ];
    for (const token of tokens) {
      const { payload } = await jwtVerify(token, jwks, { currentDate: new Date(T0) });
      expect(payload.iat).toBe(T0 / 1000);
    }
  });

  it("differs between emulators", async () => {
    const a = await createEmulator().jwks();
    const b = await createEmulator().jwks();
    expect(a.keys[0]?.n).not.toBe(b.keys[0]?.n);
  });
});

describe("defaults", () => {
  it("DEFAULT_ACCOUNTS holds the documented demo accounts", () => {
    expect(DEFAULT_ACCOUNTS.ipospays.map((account) => account.level)).toEqual([
      "merchant",
      "iso",
      "agent",
    ]);
    expect(DEFAULT_ACCOUNTS.paymentsgate[0]?.publicKey).toBe("demo-public-key");
    expect(btoa(DEFAULT_ACCOUNTS.paymentsgate[0]?.publicKey ?? "")).toBe(PG_KEY_B64);
    expect(DEFAULT_ACCOUNTS.papaya).toEqual([
      { apiKey: "demo-papaya-key", clientSecret: "demo-papaya-secret" },
    ]);
  });

  it("accounts given for one provider leave the others' defaults alone", async () => {
    const { emulator } = setup({ accounts: { papaya: [{ apiKey: "k", clientSecret: "s" }] } });
    expect(
      (await emulator.fetch(post(PATHS.ipospaysToken, { ...MERCHANT, scope: "Recurring" }))).status,
    ).toBe(200);
    await paymentsgatePair(emulator);
  });
});
