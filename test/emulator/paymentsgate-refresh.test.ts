/**
 * PaymentsGate contract tests from the emulator's side, PROVIDERS.md §2 with hand-built
 * requests: refreshing the pair (a refresh token works once).
 */
import { describe, expect, it } from "vitest";
import {
  foreignCopy,
  HOUR,
  hs256Copy,
  ipospaysToken,
  json,
  PATHS,
  PG_ACCOUNT,
  payin,
  paymentsgatePair,
  post,
  postJson,
  setup,
  T0,
  tampered,
  verified,
} from "../support/emulator-wire.ts";
import { expectFailure } from "../support/provider-errors.ts";

function refreshRequest(accessToken: string | undefined, body: unknown): Request {
  return postJson(
    PATHS.paymentsgateRefresh,
    body,
    accessToken === undefined ? {} : { authorization: `Bearer ${accessToken}` },
  );
}

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

  it("without a bearer, as the vendor's own clients refresh (PROVIDERS.md §2, 2026-12-01), the refresh token alone is enough — once", async () => {
    const { emulator } = setup();
    const pair = await paymentsgatePair(emulator);
    const response = await emulator.fetch(
      refreshRequest(undefined, { refresh_token: pair.refresh_token }),
    );
    expect(response.status).toBe(200);
    const next = await json(response);
    const { claims } = await verified(emulator, next.access_token as string);
    expect(claims.sub).toBe(PG_ACCOUNT);
    expect((await payin(emulator, next.access_token as string)).status).toBe(200);
    // Spent: rotation holds without the bearer too.
    await expectFailure(
      await emulator.fetch(refreshRequest(undefined, { refresh_token: pair.refresh_token })),
      401,
    );
  });

  it("401 for an Authorization header that is not a bearer, and for a refresh token nobody issued", async () => {
    const { emulator } = setup();
    const pair = await paymentsgatePair(emulator);
    await expectFailure(
      await emulator.fetch(
        postJson(
          PATHS.paymentsgateRefresh,
          { refresh_token: pair.refresh_token },
          { authorization: `Token ${pair.access_token}` },
        ),
      ),
      401,
    );
    await expectFailure(
      await emulator.fetch(refreshRequest(undefined, { refresh_token: "not-issued-by-anyone" })),
      401,
    );
    // The refused attempts spent nothing.
    const response = await emulator.fetch(
      refreshRequest(pair.access_token, { refresh_token: pair.refresh_token }),
    );
    expect(response.status).toBe(200);
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
