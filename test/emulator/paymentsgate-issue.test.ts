/**
 * PaymentsGate contract tests from the emulator's side, PROVIDERS.md §2 with hand-built
 * requests: issuing an access/refresh pair.
 */
import { describe, expect, it } from "vitest";
import {
  json,
  PATHS,
  PG_ACCOUNT,
  PG_KEY_B64,
  paymentsgatePair,
  post,
  postJson,
  setup,
  T0,
  UUID,
  verified,
} from "../support/emulator-wire.ts";
import { expectFailure } from "../support/provider-errors.ts";

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
