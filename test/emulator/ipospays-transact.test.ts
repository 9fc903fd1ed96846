/**
 * iPOSpays contract tests from the emulator's side, PROVIDERS.md §1 row by row with hand-built
 * requests: the protected Transact API and the tokens it takes.
 */
import { describe, expect, it } from "vitest";
import {
  foreignCopy,
  hs256Copy,
  ISO,
  ipospaysToken,
  json,
  MINUTE,
  PATHS,
  papayaToken,
  post,
  setup,
  tampered,
  transact,
  UUID,
} from "../support/emulator-wire.ts";
import { expectError } from "../support/provider-errors.ts";

describe("iPOSpays Transact (protected)", () => {
  it("accepts a PaymentTokenization token in the token header and answers iposhpresponse", async () => {
    const { emulator } = setup();
    const token = await ipospaysToken(emulator);
    const response = await transact(emulator, token, {
      transactionRequest: { transactionType: 1, amount: "1000" },
    });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toEqual({
      iposhpresponse: {
        responseCode: "200",
        responseMessage: "Successful",
        transactionReferenceId: expect.stringMatching(UUID),
        amount: "1000",
      },
    });
    expect(response.headers.get("AuthenticationRefreshRequired")).toBeNull();
  });

  it("echoes a top-level amount, and leaves amount out without a body", async () => {
    const { emulator } = setup();
    const token = await ipospaysToken(emulator);
    const withAmount = await json(await transact(emulator, token, { amount: 12.5 }));
    expect((withAmount.iposhpresponse as Record<string, unknown>).amount).toBe(12.5);
    const without = await json(await transact(emulator, token));
    expect(without.iposhpresponse).not.toHaveProperty("amount");
  });

  it("ignores a junk body: the token is what is checked", async () => {
    const { emulator } = setup();
    const token = await ipospaysToken(emulator);
    const response = await emulator.fetch(post(PATHS.ipospaysApi, { token }, "}{ not json"));
    expect(response.status).toBe(200);
  });

  it("refuses Authorization: Bearer alone: 401 AUTH_ERR_006", async () => {
    const { emulator } = setup();
    const token = await ipospaysToken(emulator);
    await expectError(
      await emulator.fetch(post(PATHS.ipospaysApi, { authorization: `Bearer ${token}` })),
      "AUTH_ERR_006",
      401,
    );
  });

  it("refuses a token with a Bearer prefix in the token header", async () => {
    const { emulator } = setup();
    const token = await ipospaysToken(emulator);
    await expectError(await transact(emulator, `Bearer ${token}`), "AUTH_ERR_006", 401);
  });

  it("refuses an expired token: 401 AUTH_ERR_006", async () => {
    const { emulator, clock } = setup();
    const token = await ipospaysToken(emulator, "PaymentTokenization", {
      jwtTokenExpiryMinutes: "30",
    });
    clock.advance(30 * MINUTE - 1000);
    expect((await transact(emulator, token)).status).toBe(200);
    clock.advance(1000);
    await expectError(await transact(emulator, token), "AUTH_ERR_006", 401);
  });

  it("refuses a token once revoked", async () => {
    const { emulator } = setup();
    const token = await ipospaysToken(emulator);
    const other = await ipospaysToken(emulator);
    expect((await transact(emulator, token)).status).toBe(200);
    emulator.revoke(token);
    await expectError(await transact(emulator, token), "AUTH_ERR_006", 401);
    expect((await transact(emulator, other)).status).toBe(200);
  });

  it("refuses foreign-signed, HS256 and tampered tokens", async () => {
    const { emulator } = setup();
    const token = await ipospaysToken(emulator);
    for (const forged of [
      await foreignCopy(emulator, token),
      await hs256Copy(emulator, token),
      tampered(token, { scope: "PaymentTokenization", exp: 9_999_999_999 }),
    ]) {
      await expectError(await transact(emulator, forged), "AUTH_ERR_006", 401);
    }
  });

  it("refuses another provider's token", async () => {
    const { emulator } = setup();
    await expectError(await transact(emulator, await papayaToken(emulator)), "AUTH_ERR_006", 401);
  });

  it.each(["Recurring", "BatchReport"])("refuses a %s token: 403 AUTH_ERR_005", async (scope) => {
    const { emulator } = setup();
    await expectError(
      await transact(emulator, await ipospaysToken(emulator, scope)),
      "AUTH_ERR_005",
      403,
    );
  });

  it("refuses an ISO ExternalApi token and accepts an ISO PaymentTokenization token", async () => {
    const { emulator } = setup();
    await expectError(
      await transact(emulator, await ipospaysToken(emulator, "ExternalApi", {}, ISO)),
      "AUTH_ERR_005",
      403,
    );
    expect(
      (await transact(emulator, await ipospaysToken(emulator, "PaymentTokenization", {}, ISO)))
        .status,
    ).toBe(200);
  });
});
