/**
 * PaymentsGate contract tests from the emulator's side: PROVIDERS.md §2, with hand-built
 * requests.
 */
import { describe, expect, it } from "vitest";
import {
  foreignCopy,
  hs256Copy,
  ipospaysToken,
  json,
  PATHS,
  PG_ACCOUNT,
  PG_KEY_B64,
  payin,
  paymentsgatePair,
  post,
  postJson,
  setup,
  T0,
  tampered,
  verified,
} from "../support/emulator-wire.ts";

const HOUR = 3_600_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function expectFailure(response: Response, status: 400 | 401): Promise<string> {
  expect(response.status).toBe(status);
  const body = await json(response);
  expect(body).toEqual({
    error: status === 400 ? "Bad Request" : "Unauthorized",
    message: expect.any(String),
    statusCode: status,
  });
  return body.message as string;
}

function refreshRequest(accessToken: string | undefined, body: unknown): Request {
  return postJson(
    PATHS.paymentsgateRefresh,
    body,
    accessToken === undefined ? {} : { authorization: `Bearer ${accessToken}` },
  );
}

describe("PaymentsGate issue", () => {
  it("answers {access_token, refresh_token, expires_in: 3600} with an RS256 {sub, iat, exp, jti}", async () => {
    const { emulator } = setup();
    const response = await emulator.fetch(
      postJson(PATHS.paymentsgateToken, { account_id: PG_ACCOUNT, public_key: PG_KEY_B64 }),
    );
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(Object.keys(body).sort()).toEqual(["access_token", "expires_in", "refresh_token"]);
    expect(body.expires_in).toBe(3600);
    const { header, claims } = await verified(emulator, body.access_token as string);
    expect(header).toEqual({ alg: "RS256", typ: "JWT" });
    expect(claims).toEqual({
      sub: PG_ACCOUNT,
      iat: T0 / 1000,
      exp: T0 / 1000 + 3600,
      jti: expect.stringMatching(UUID),
    });
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect((body.refresh_token as string).split(".")).toHaveLength(1);
  });

  it("issues a fresh pair each time", async () => {
    const { emulator } = setup();
    const a = await paymentsgatePair(emulator);
    const b = await paymentsgatePair(emulator);
    expect(a.access_token).not.toBe(b.access_token);
    expect(a.refresh_token).not.toBe(b.refresh_token);
  });

  it("accepts padded and unpadded base64 and an upper-case account id", async () => {
    const { emulator } = setup({
      accounts: { paymentsgate: [{ accountId: PG_ACCOUNT, publicKey: "key!" }] },
    });
    for (const public_key of ["a2V5IQ==", "a2V5IQ"]) {
      const response = await emulator.fetch(
        postJson(PATHS.paymentsgateToken, { account_id: PG_ACCOUNT.toUpperCase(), public_key }),
      );
      expect(response.status).toBe(200);
    }
  });

  it("accepts a PEM public key given as its base64", async () => {
    const pem = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkq\n-----END PUBLIC KEY-----\n";
    const { emulator } = setup({
      accounts: { paymentsgate: [{ accountId: PG_ACCOUNT, publicKey: pem }] },
    });
    const response = await emulator.fetch(
      postJson(PATHS.paymentsgateToken, { account_id: PG_ACCOUNT, public_key: btoa(pem) }),
    );
    expect(response.status).toBe(200);
  });

  it.each([
    ["not JSON", "{account_id:"],
    ["an empty body", ""],
    ["JSON null", "null"],
    ["a JSON array", "[]"],
    ["no account_id", JSON.stringify({ public_key: PG_KEY_B64 })],
    ["no public_key", JSON.stringify({ account_id: PG_ACCOUNT })],
    [
      "an account_id that is not a UUID",
      JSON.stringify({ account_id: "acct-1", public_key: PG_KEY_B64 }),
    ],
    ["a numeric account_id", JSON.stringify({ account_id: 1, public_key: PG_KEY_B64 })],
    ["an empty public_key", JSON.stringify({ account_id: PG_ACCOUNT, public_key: "" })],
    [
      "the PEM text instead of its base64",
      JSON.stringify({ account_id: PG_ACCOUNT, public_key: "demo-public-key" }),
    ],
  ])("400 Bad Request for %s", async (_name, body) => {
    const { emulator } = setup();
    await expectFailure(
      await emulator.fetch(
        post(PATHS.paymentsgateToken, { "content-type": "application/json" }, body),
      ),
      400,
    );
  });

  it("400 for a JSON body sent without a JSON content type", async () => {
    const { emulator } = setup();
    const body = JSON.stringify({ account_id: PG_ACCOUNT, public_key: PG_KEY_B64 });
    await expectFailure(await emulator.fetch(post(PATHS.paymentsgateToken, {}, body)), 400);
    await expectFailure(
      await emulator.fetch(post(PATHS.paymentsgateToken, { "content-type": "text/plain" }, body)),
      400,
    );
  });

  it("names the field at fault without echoing its value", async () => {
    const { emulator } = setup();
    const message = await expectFailure(
      await emulator.fetch(
        postJson(PATHS.paymentsgateToken, {
          account_id: "secret-ish-value",
          public_key: PG_KEY_B64,
        }),
      ),
      400,
    );
    expect(message).toContain("account_id");
    expect(message).not.toContain("secret-ish-value");
  });

  it.each([
    [
      "an unknown account",
      { account_id: "00000000-0000-4000-8000-000000000002", public_key: PG_KEY_B64 },
    ],
    ["the wrong public key", { account_id: PG_ACCOUNT, public_key: btoa("another-key") }],
  ])("401 Invalid credentials for %s", async (_name, body) => {
    const { emulator } = setup();
    const response = await emulator.fetch(postJson(PATHS.paymentsgateToken, body));
    expect(response.status).toBe(401);
    expect(await json(response)).toEqual({
      error: "Unauthorized",
      message: "Invalid credentials",
      statusCode: 401,
    });
  });
});

describe("PaymentsGate refresh", () => {
  it("exchanges a refresh token for a new pair; old and new access tokens both work", async () => {
    const { emulator, clock } = setup();
    const first = await paymentsgatePair(emulator);
    clock.advance(HOUR / 2);
    const response = await emulator.fetch(
      refreshRequest(first.access_token, { refresh_token: first.refresh_token }),
    );
    expect(response.status).toBe(200);
    const second = await json(response);
    expect(second).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      expires_in: 3600,
    });
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    const { claims } = await verified(emulator, second.access_token as string);
    expect(claims.sub).toBe(PG_ACCOUNT);
    expect(claims.iat).toBe((T0 + HOUR / 2) / 1000);
    expect(claims.exp).toBe((T0 + HOUR / 2) / 1000 + 3600);
    expect((await payin(emulator, first.access_token)).status).toBe(200);
    expect((await payin(emulator, second.access_token as string)).status).toBe(200);
  });

  it("rotates: a refresh token exchanged once is refused the second time (401)", async () => {
    const { emulator } = setup();
    const first = await paymentsgatePair(emulator);
    const request = () =>
      refreshRequest(first.access_token, { refresh_token: first.refresh_token });
    expect((await emulator.fetch(request())).status).toBe(200);
    await expectFailure(await emulator.fetch(request()), 401);
  });

  it("keeps rotating along the chain: each newest refresh token works once", async () => {
    const { emulator } = setup();
    let pair = await paymentsgatePair(emulator);
    for (let i = 0; i < 3; i++) {
      const response = await emulator.fetch(
        refreshRequest(pair.access_token, { refresh_token: pair.refresh_token }),
      );
      expect(response.status).toBe(200);
      pair = (await json(response)) as typeof pair;
    }
  });

  it("lets only one of two concurrent refreshes with the same refresh token succeed", async () => {
    const { emulator } = setup();
    const pair = await paymentsgatePair(emulator);
    const statuses = await Promise.all(
      Array.from({ length: 5 }, () =>
        emulator
          .fetch(refreshRequest(pair.access_token, { refresh_token: pair.refresh_token }))
          .then((response) => response.status),
      ),
    );
    expect(statuses.sort()).toEqual([200, 401, 401, 401, 401]);
  });

  it("refreshes after the access token expired: the refresh token outlives it", async () => {
    const { emulator, clock } = setup();
    const pair = await paymentsgatePair(emulator);
    clock.advance(5 * HOUR);
    expect((await payin(emulator, pair.access_token)).status).toBe(401);
    const response = await emulator.fetch(
      refreshRequest(pair.access_token, { refresh_token: pair.refresh_token }),
    );
    expect(response.status).toBe(200);
    expect((await payin(emulator, (await json(response)).access_token as string)).status).toBe(200);
  });

  it("401 without a bearer, and with the access token in a token header instead", async () => {
    const { emulator } = setup();
    const pair = await paymentsgatePair(emulator);
    await expectFailure(
      await emulator.fetch(refreshRequest(undefined, { refresh_token: pair.refresh_token })),
      401,
    );
    await expectFailure(
      await emulator.fetch(
        postJson(
          PATHS.paymentsgateRefresh,
          { refresh_token: pair.refresh_token },
          { token: pair.access_token },
        ),
      ),
      401,
    );
  });

  it("401 for a bearer that is not a JWT, foreign-signed, tampered, or another provider's", async () => {
    const { emulator } = setup();
    const pair = await paymentsgatePair(emulator);
    for (const bearer of [
      "not-a-jwt",
      await foreignCopy(emulator, pair.access_token),
      await hs256Copy(emulator, pair.access_token),
      tampered(pair.access_token, { sub: "00000000-0000-4000-8000-000000000009" }),
      await ipospaysToken(emulator),
    ]) {
      await expectFailure(
        await emulator.fetch(refreshRequest(bearer, { refresh_token: pair.refresh_token })),
        401,
      );
    }
    // None of those spent the refresh token.
    expect(
      (
        await emulator.fetch(
          refreshRequest(pair.access_token, { refresh_token: pair.refresh_token }),
        )
      ).status,
    ).toBe(200);
  });

  it("401 for a revoked access token", async () => {
    const { emulator } = setup();
    const pair = await paymentsgatePair(emulator);
    emulator.revoke(pair.access_token);
    await expectFailure(
      await emulator.fetch(
        refreshRequest(pair.access_token, { refresh_token: pair.refresh_token }),
      ),
      401,
    );
  });

  it.each([
    ["an empty object", {}],
    ["a numeric refresh_token", { refresh_token: 42 }],
    ["an empty refresh_token", { refresh_token: "" }],
  ])("400 for a body with %s", async (_name, body) => {
    const { emulator } = setup();
    const pair = await paymentsgatePair(emulator);
    await expectFailure(await emulator.fetch(refreshRequest(pair.access_token, body)), 400);
  });

  it("400 for a body that is not JSON", async () => {
    const { emulator } = setup();
    const pair = await paymentsgatePair(emulator);
    await expectFailure(
      await emulator.fetch(
        post(
          PATHS.paymentsgateRefresh,
          { "content-type": "application/json", authorization: `Bearer ${pair.access_token}` },
          "refresh_token=abc",
        ),
      ),
      400,
    );
  });

  it("401 for an unknown refresh token, and for another account's refresh token", async () => {
    const other = "00000000-0000-4000-8000-000000000002";
    const { emulator } = setup({
      accounts: {
        paymentsgate: [
          { accountId: PG_ACCOUNT, publicKey: "demo-public-key" },
          { accountId: other, publicKey: "other-key" },
        ],
      },
    });
    const mine = await paymentsgatePair(emulator);
    const theirs = (await json(
      await emulator.fetch(
        postJson(PATHS.paymentsgateToken, { account_id: other, public_key: btoa("other-key") }),
      ),
    )) as { refresh_token: string };
    await expectFailure(
      await emulator.fetch(refreshRequest(mine.access_token, { refresh_token: "made-up" })),
      401,
    );
    await expectFailure(
      await emulator.fetch(
        refreshRequest(mine.access_token, { refresh_token: theirs.refresh_token }),
      ),
      401,
    );
  });

  it("401 for a refresh token issued before a reset", async () => {
    const { emulator } = setup();
    const pair = await paymentsgatePair(emulator);
    emulator.reset();
    await expectFailure(
      await emulator.fetch(
        refreshRequest(pair.access_token, { refresh_token: pair.refresh_token }),
      ),
      401,
    );
  });
});

describe("PaymentsGate pay-in (protected)", () => {
  it("accepts Authorization: Bearer and answers {status: created, id}", async () => {
    const { emulator } = setup();
    const { access_token } = await paymentsgatePair(emulator);
    const response = await payin(emulator, access_token);
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ status: "created", id: expect.stringMatching(UUID) });
  });

  it("accepts the scheme in any case", async () => {
    const { emulator } = setup();
    const { access_token } = await paymentsgatePair(emulator);
    const response = await emulator.fetch(
      post(PATHS.paymentsgateApi, { authorization: `bearer ${access_token}` }),
    );
    expect(response.status).toBe(200);
  });

  it("refuses the token in a token header alone: 401", async () => {
    const { emulator } = setup();
    const { access_token } = await paymentsgatePair(emulator);
    const response = await emulator.fetch(post(PATHS.paymentsgateApi, { token: access_token }));
    expect(response.status).toBe(401);
    expect(await json(response)).toEqual({
      error: "Unauthorized",
      message: "Invalid token",
      statusCode: 401,
    });
  });

  it("refuses a token without the Bearer scheme", async () => {
    const { emulator } = setup();
    const { access_token } = await paymentsgatePair(emulator);
    const response = await emulator.fetch(
      post(PATHS.paymentsgateApi, { authorization: access_token }),
    );
    expect(response.status).toBe(401);
  });

  it("refuses an expired token", async () => {
    const { emulator, clock } = setup();
    const { access_token } = await paymentsgatePair(emulator);
    clock.advance(HOUR - 1000);
    expect((await payin(emulator, access_token)).status).toBe(200);
    clock.advance(1000);
    expect((await payin(emulator, access_token)).status).toBe(401);
  });

  it("refuses a revoked token", async () => {
    const { emulator } = setup();
    const { access_token } = await paymentsgatePair(emulator);
    emulator.revoke(access_token);
    expect((await payin(emulator, access_token)).status).toBe(401);
  });

  it("refuses foreign-signed, HS256, tampered and other providers' tokens", async () => {
    const { emulator } = setup();
    const { access_token } = await paymentsgatePair(emulator);
    for (const forged of [
      await foreignCopy(emulator, access_token),
      await hs256Copy(emulator, access_token),
      tampered(access_token, { exp: 9_999_999_999 }),
      await ipospaysToken(emulator),
    ]) {
      expect((await payin(emulator, forged)).status).toBe(401);
    }
  });
});
