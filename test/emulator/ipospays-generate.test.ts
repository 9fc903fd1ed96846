/**
 * iPOSpays contract tests from the emulator's side, PROVIDERS.md §1 row by row with hand-built
 * requests: generating a token (its headers, credentials, scope by key level, expiry).
 */
import { describe, expect, it } from "vitest";
import { SCOPE_CLAIMS } from "../../src/emulator/ipospays.ts";
import {
  AGENT,
  ISO,
  ipospaysToken,
  json,
  MERCHANT,
  PATHS,
  post,
  postJson,
  setup,
  T0,
  UUID,
  verified,
} from "../support/emulator-wire.ts";
import { expectError } from "../support/provider-errors.ts";

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
    // PROVIDERS.md §1 (corrected 2026-12-01): the claim is not the scope's name.
    expect(claims.scope).toBe("paymentTokenize");
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
      expect(claims.scope).toBe(SCOPE_CLAIMS[scope]);
      expect(claims.scope).not.toBe(scope);
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
