/**
 * PaymentsGate contract tests from the emulator's side, PROVIDERS.md §2 with hand-built
 * requests: the protected pay-in API and the tokens it takes.
 */
import { describe, expect, it } from "vitest";
import {
  foreignCopy,
  HOUR,
  hs256Copy,
  ipospaysToken,
  json,
  PATHS,
  payin,
  paymentsgatePair,
  post,
  setup,
  tampered,
  UUID,
} from "../support/emulator-wire.ts";

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
