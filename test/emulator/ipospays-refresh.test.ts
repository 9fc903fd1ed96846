/**
 * iPOSpays contract tests from the emulator's side, PROVIDERS.md §1 row by row with hand-built
 * requests: refreshing a token.
 */
import { describe, expect, it } from "vitest";
import {
  foreignCopy,
  hs256Copy,
  ipospaysToken,
  json,
  MINUTE,
  PATHS,
  papayaToken,
  post,
  postJson,
  setup,
  T0,
  tampered,
  transact,
  verified,
} from "../support/emulator-wire.ts";
import { expectError } from "../support/provider-errors.ts";

function refreshRequest(headers: Record<string, string>): Request {
  return post(PATHS.ipospaysRefresh, headers);
}

describe("iPOSpays refresh", () => {
  it("reissues: a new token with a new uniqueId, iat and exp, the same scope and lifetime", async () => {
    const { emulator, clock } = setup();
    const original = await ipospaysToken(emulator, "BatchReport", { jwtTokenExpiryMinutes: "45" });
    clock.advance(10 * MINUTE);
    const response = await emulator.fetch(
      refreshRequest({ refreshToken: "true", token: original }),
    );
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toMatchObject({
      responseCode: "00",
      responseMessage: "Success",
      createdDt: String(T0 + 10 * MINUTE),
    });
    const before = (await verified(emulator, original)).claims;
    const after = (await verified(emulator, body.token as string)).claims;
    expect(after.scope).toBe(before.scope);
    expect(after.scope).toBe("batchReport");
    expect(after.uniqueId).not.toBe(before.uniqueId);
    expect(after.iat).toBe((T0 + 10 * MINUTE) / 1000);
    expect(after.exp).toBe((before.exp ?? 0) + 600);
    expect((after.exp ?? 0) - (after.iat ?? 0)).toBe(45 * 60);
  });

  it("leaves the old token valid until its own exp, and the new one works too", async () => {
    const { emulator, clock } = setup();
    const original = await ipospaysToken(emulator, "PaymentTokenization", {
      jwtTokenExpiryMinutes: "30",
    });
    clock.advance(20 * MINUTE);
    const fresh = (
      await json(await emulator.fetch(refreshRequest({ refreshToken: "true", token: original })))
    ).token as string;
    expect((await transact(emulator, original)).status).toBe(200);
    expect((await transact(emulator, fresh)).status).toBe(200);
    clock.advance(15 * MINUTE);
    expect((await transact(emulator, original)).status).toBe(401);
    expect((await transact(emulator, fresh)).status).toBe(200);
  });

  it("can refresh a refreshed token", async () => {
    const { emulator } = setup();
    let token = await ipospaysToken(emulator);
    for (let i = 0; i < 3; i++) {
      const body = await json(
        await emulator.fetch(refreshRequest({ refreshToken: "true", token })),
      );
      token = body.token as string;
    }
    expect((await transact(emulator, token)).status).toBe(200);
  });

  it.each([
    ["missing", {}],
    ["false", { refreshToken: "false" }],
    ["1", { refreshToken: "1" }],
  ])("AUTH_ERR_009 when refreshToken is %s, HTTP 400", async (_name, flag) => {
    const { emulator } = setup();
    const token = await ipospaysToken(emulator);
    await expectError(
      await emulator.fetch(refreshRequest({ ...flag, token })),
      "AUTH_ERR_009",
      400,
    );
  });

  it("AUTH_ERR_009 when refreshToken and token come in a JSON body instead of headers", async () => {
    const { emulator } = setup();
    const token = await ipospaysToken(emulator);
    await expectError(
      await emulator.fetch(postJson(PATHS.ipospaysRefresh, { refreshToken: true, token })),
      "AUTH_ERR_009",
      400,
    );
  });

  it("accepts refreshToken: TRUE in any case", async () => {
    const { emulator } = setup();
    const token = await ipospaysToken(emulator);
    expect((await emulator.fetch(refreshRequest({ refreshToken: "TRUE", token }))).status).toBe(
      200,
    );
  });

  it.each([
    ["no token header", undefined],
    ["an empty token", ""],
    ["a string that is not a JWT", "not-a-jwt"],
    ["three junk segments", "a.b.c"],
    ["a Bearer-prefixed token", "Bearer x.y.z"],
  ])("AUTH_ERR_006 for %s, HTTP 401", async (_name, token) => {
    const { emulator } = setup();
    const headers: Record<string, string> = { refreshToken: "true" };
    if (token !== undefined) headers.token = token;
    await expectError(await emulator.fetch(refreshRequest(headers)), "AUTH_ERR_006", 401);
  });

  it("AUTH_ERR_006 for a revoked token", async () => {
    const { emulator } = setup();
    const token = await ipospaysToken(emulator);
    emulator.revoke(token);
    await expectError(
      await emulator.fetch(refreshRequest({ refreshToken: "true", token })),
      "AUTH_ERR_006",
      401,
    );
  });

  it("AUTH_ERR_006 for another provider's token and for a token issued before a reset", async () => {
    const { emulator } = setup();
    const papaya = await papayaToken(emulator);
    await expectError(
      await emulator.fetch(refreshRequest({ refreshToken: "true", token: papaya })),
      "AUTH_ERR_006",
      401,
    );
    const token = await ipospaysToken(emulator);
    emulator.reset();
    await expectError(
      await emulator.fetch(refreshRequest({ refreshToken: "true", token })),
      "AUTH_ERR_006",
      401,
    );
  });

  it("AUTH_ERR_007 for an expired token, HTTP 401", async () => {
    const { emulator, clock } = setup();
    const token = await ipospaysToken(emulator, "Recurring", { jwtTokenExpiryMinutes: "30" });
    clock.advance(30 * MINUTE);
    await expectError(
      await emulator.fetch(refreshRequest({ refreshToken: "true", token })),
      "AUTH_ERR_007",
      401,
    );
  });

  it("AUTH_ERR_008 for a token signed by another key, signed HS256, or tampered with", async () => {
    const { emulator } = setup();
    const token = await ipospaysToken(emulator);
    for (const forged of [
      await foreignCopy(emulator, token),
      await hs256Copy(emulator, token),
      tampered(token, { exp: 9_999_999_999 }),
    ]) {
      await expectError(
        await emulator.fetch(refreshRequest({ refreshToken: "true", token: forged })),
        "AUTH_ERR_008",
        401,
      );
    }
  });
});
