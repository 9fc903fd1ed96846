/**
 * iPOSpays contract tests from the emulator's side: PROVIDERS.md §1, row by row, with hand-built
 * requests.
 */
import { describe, expect, it } from "vitest";
import {
  AGENT,
  foreignCopy,
  hs256Copy,
  ISO,
  ipospaysToken,
  json,
  MERCHANT,
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

const MINUTE = 60_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const MESSAGES: Record<string, string> = {
  AUTH_ERR_001: "API Key is required.",
  AUTH_ERR_002: "Secret Key is required.",
  AUTH_ERR_003: "Scope is required.",
  AUTH_ERR_004: "Invalid Credentials, Please Contact Support Team.",
  AUTH_ERR_005: "Invalid scope provided. Please use a valid scope.",
  AUTH_ERR_006: "Invalid Token, Please try with a Valid Token.",
  AUTH_ERR_007: "Invalid Token, Please try with a Valid Token.",
  AUTH_ERR_008: "Invalid Signature.",
  AUTH_ERR_009: "Refresh Token needs to be true in the Header.",
  AUTH_ERR_011: "Minimum expiry time cannot be less than 30 minutes.",
  AUTH_ERR_012: "Maximum expiry time cannot be more than 24 hours.",
};

async function expectError(response: Response, code: string, status: number): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/json");
  expect(await json(response)).toEqual({ errorCode: code, errorMessage: MESSAGES[code] });
}

function generate(headers: Record<string, string>, body?: string): Request {
  return post(PATHS.ipospaysToken, headers, body);
}

describe("iPOSpays generate: success", () => {
  it("answers 00 with createdDt in epoch ms and an RS256 token {scope, uniqueId, iat, exp}", async () => {
    const { emulator } = setup();
    const response = await emulator.fetch(generate({ ...MERCHANT, scope: "PaymentTokenization" }));
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(Object.keys(body).sort()).toEqual([
      "createdDt",
      "responseCode",
      "responseMessage",
      "token",
    ]);
    expect(body).toMatchObject({
      responseCode: "00",
      responseMessage: "Success",
      createdDt: String(T0),
    });
    const { header, claims } = await verified(emulator, body.token as string);
    expect(header).toEqual({ alg: "RS256" });
    expect(Object.keys(claims).sort()).toEqual(["exp", "iat", "scope", "uniqueId"]);
    expect(claims.scope).toBe("PaymentTokenization");
    expect(claims.uniqueId).toMatch(UUID);
    expect(claims.iat).toBe(T0 / 1000);
  });

  it("lives 24 hours by default", async () => {
    const { emulator } = setup();
    const { claims } = await verified(emulator, await ipospaysToken(emulator));
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(86_400);
  });

  it("gives every token its own uniqueId", async () => {
    const { emulator } = setup();
    const a = await verified(emulator, await ipospaysToken(emulator));
    const b = await verified(emulator, await ipospaysToken(emulator));
    expect(a.claims.uniqueId).not.toBe(b.claims.uniqueId);
  });

  it("reads header names case-insensitively, as HTTP does", async () => {
    const { emulator } = setup();
    const response = await emulator.fetch(
      generate({ APIKEY: MERCHANT.apiKey, secretkey: MERCHANT.secretKey, Scope: "Recurring" }),
    );
    expect(response.status).toBe(200);
  });
});

describe("iPOSpays generate: required headers (AUTH_ERR_001/002/003)", () => {
  it("AUTH_ERR_001 with no apiKey header, HTTP 400", async () => {
    const { emulator } = setup();
    await expectError(
      await emulator.fetch(generate({ secretKey: MERCHANT.secretKey, scope: "Recurring" })),
      "AUTH_ERR_001",
      400,
    );
  });

  it("AUTH_ERR_001 for a blank apiKey", async () => {
    const { emulator } = setup();
    await expectError(
      await emulator.fetch(generate({ apiKey: "  ", secretKey: "x", scope: "Recurring" })),
      "AUTH_ERR_001",
      400,
    );
  });

  it("AUTH_ERR_001 when the credentials come only in a JSON body (headers, not body)", async () => {
    const { emulator } = setup();
    const response = await emulator.fetch(
      postJson(PATHS.ipospaysToken, {
        ...MERCHANT,
        scope: "PaymentTokenization",
        jwtTokenExpiryMinutes: 60,
      }),
    );
    await expectError(response, "AUTH_ERR_001", 400);
  });

  it("AUTH_ERR_002 with no secretKey header, HTTP 400", async () => {
    const { emulator } = setup();
    await expectError(
      await emulator.fetch(generate({ apiKey: MERCHANT.apiKey, scope: "Recurring" })),
      "AUTH_ERR_002",
      400,
    );
  });

  it("AUTH_ERR_003 with no scope header, HTTP 400", async () => {
    const { emulator } = setup();
    await expectError(await emulator.fetch(generate({ ...MERCHANT })), "AUTH_ERR_003", 400);
  });

  it("checks in order: 001 before 002 before 003 before expiry before credentials before scope", async () => {
    const { emulator } = setup();
    await expectError(await emulator.fetch(generate({})), "AUTH_ERR_001", 400);
    await expectError(await emulator.fetch(generate({ apiKey: "nobody" })), "AUTH_ERR_002", 400);
    await expectError(
      await emulator.fetch(generate({ apiKey: "nobody", secretKey: "wrong" })),
      "AUTH_ERR_003",
      400,
    );
    await expectError(
      await emulator.fetch(
        generate({
          apiKey: "nobody",
          secretKey: "wrong",
          scope: "Nope",
          jwtTokenExpiryMinutes: "5",
        }),
      ),
      "AUTH_ERR_011",
      400,
    );
    await expectError(
      await emulator.fetch(generate({ apiKey: "nobody", secretKey: "wrong", scope: "Nope" })),
      "AUTH_ERR_004",
      401,
    );
  });
});

describe("iPOSpays generate: credentials (AUTH_ERR_004)", () => {
  it.each([
    ["an unknown apiKey", { apiKey: "unknown-key", secretKey: MERCHANT.secretKey }],
    ["a wrong secretKey", { apiKey: MERCHANT.apiKey, secretKey: "wrong-secret" }],
    ["another key's secret", { apiKey: MERCHANT.apiKey, secretKey: ISO.secretKey }],
  ])("AUTH_ERR_004 for %s, HTTP 401", async (_name, credentials) => {
    const { emulator } = setup();
    await expectError(
      await emulator.fetch(generate({ ...credentials, scope: "Recurring" })),
      "AUTH_ERR_004",
      401,
    );
  });

  it("accepts the accounts given in options, and no longer the defaults", async () => {
    const { emulator } = setup({
      accounts: { ipospays: [{ apiKey: "k", secretKey: "s", level: "agent" }] },
    });
    expect(
      (await emulator.fetch(generate({ apiKey: "k", secretKey: "s", scope: "ExternalApi" })))
        .status,
    ).toBe(200);
    await expectError(
      await emulator.fetch(generate({ ...MERCHANT, scope: "Recurring" })),
      "AUTH_ERR_004",
      401,
    );
  });
});

describe("iPOSpays generate: scope by key level (AUTH_ERR_005)", () => {
  const table: Array<[string, typeof MERCHANT, string, boolean]> = [];
  const allowed = {
    merchant: ["PaymentTokenization", "Recurring", "BatchReport"],
    iso: ["PaymentTokenization", "Recurring", "BatchReport", "ExternalApi"],
    agent: ["ExternalApi"],
  };
  const keys = { merchant: MERCHANT, iso: ISO, agent: AGENT };
  for (const level of ["merchant", "iso", "agent"] as const) {
    for (const scope of [
      "PaymentTokenization",
      "Recurring",
      "BatchReport",
      "ExternalApi",
      "CardLookUp",
    ]) {
      table.push([level, keys[level], scope, allowed[level].includes(scope)]);
    }
  }

  it.each(table)("%s key, scope %s: allowed=%s", async (_level, credentials, scope, ok) => {
    const { emulator } = setup();
    const response = await emulator.fetch(generate({ ...credentials, scope }));
    if (ok) {
      expect(response.status).toBe(200);
      const { claims } = await verified(emulator, (await json(response)).token as string);
      expect(claims.scope).toBe(scope);
    } else {
      await expectError(response, "AUTH_ERR_005", 403);
    }
  });

  it.each(["Payments", "paymenttokenization", "PaymentTokenization,Recurring"])(
    "AUTH_ERR_005 for the unknown scope %j",
    async (scope) => {
      const { emulator } = setup();
      await expectError(await emulator.fetch(generate({ ...ISO, scope })), "AUTH_ERR_005", 403);
    },
  );
});

describe("iPOSpays generate: token expiry header (AUTH_ERR_011/012)", () => {
  it.each(["jwtTokenExpiryMinutes", "TokenExpiryMinutes"])(
    "accepts the %s spelling",
    async (name) => {
      const { emulator } = setup();
      const { claims } = await verified(
        emulator,
        await ipospaysToken(emulator, "Recurring", { [name]: "90" }),
      );
      expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(90 * 60);
    },
  );

  it.each([
    ["30", 200, 30 * 60],
    ["1440", 200, 1440 * 60],
    ["29", 400, "AUTH_ERR_011"],
    ["1441", 400, "AUTH_ERR_012"],
    ["0", 400, "AUTH_ERR_011"],
    ["-60", 400, "AUTH_ERR_011"],
    ["45.5", 400, "AUTH_ERR_011"],
    ["sixty", 400, "AUTH_ERR_011"],
    ["99999999999999999999", 400, "AUTH_ERR_012"],
  ] as const)("jwtTokenExpiryMinutes %s → %s %s", async (minutes, status, expected) => {
    const { emulator } = setup();
    const response = await emulator.fetch(
      generate({ ...MERCHANT, scope: "Recurring", jwtTokenExpiryMinutes: minutes }),
    );
    if (typeof expected === "number") {
      expect(response.status).toBe(status);
      const { claims } = await verified(emulator, (await json(response)).token as string);
      expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(expected);
    } else {
      await expectError(response, expected, status);
    }
  });

  it("checks TokenExpiryMinutes the same way", async () => {
    const { emulator } = setup();
    await expectError(
      await emulator.fetch(generate({ ...MERCHANT, scope: "Recurring", TokenExpiryMinutes: "10" })),
      "AUTH_ERR_011",
      400,
    );
    await expectError(
      await emulator.fetch(
        generate({ ...MERCHANT, scope: "Recurring", TokenExpiryMinutes: "2000" }),
      ),
      "AUTH_ERR_012",
      400,
    );
  });

  it("prefers jwtTokenExpiryMinutes when both spellings are sent", async () => {
    const { emulator } = setup();
    const token = await ipospaysToken(emulator, "Recurring", {
      jwtTokenExpiryMinutes: "60",
      TokenExpiryMinutes: "120",
    });
    const { claims } = await verified(emulator, token);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);
  });
});

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
    expect(after.scope).toBe("BatchReport");
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
