/**
 * Junk never earns a 5xx: odd bodies, headers and tokens on every endpoint, odd paths and methods.
 */
import { describe, expect, it } from "vitest";
import { ENDPOINT_NAMES } from "../support/emulator-endpoints.ts";
import { BASE, MERCHANT, PATHS, setup } from "../support/emulator-wire.ts";

describe("junk never earns a 5xx", () => {
  const BIG = "x".repeat(32 * 1024);
  const junkJwt = `${btoa('"header"')}.${btoa("[1,2]")}.sig`;
  const deep = `${"[".repeat(5000)}${"]".repeat(5000)}`;
  const junk: Array<[string, Record<string, string>, string | Uint8Array | undefined]> = [
    ["nothing", {}, undefined],
    [
      "random bytes as JSON",
      { "content-type": "application/json" },
      crypto.getRandomValues(new Uint8Array(256)),
    ],
    ["a 200 KB body", { "content-type": "application/json" }, `{"a":"${"y".repeat(200 * 1024)}"}`],
    [
      "huge credential headers",
      {
        apiKey: BIG,
        secretKey: BIG,
        scope: BIG,
        jwtTokenExpiryMinutes: BIG,
        token: BIG,
        authorization: `Bearer ${BIG}`,
        refreshToken: "true",
      },
      undefined,
    ],
    [
      "form encoding",
      { "content-type": "application/x-www-form-urlencoded" },
      "api_key=a&client_secret=b",
    ],
    ["multipart", { "content-type": "multipart/form-data; boundary=x" }, "--x\r\n\r\n--x--"],
    ["a bad content type", { "content-type": ";;;" }, "{}"],
    ["JSON string", { "content-type": "application/json" }, '"just a string"'],
    ["JSON number", { "content-type": "application/json" }, "1e999"],
    ["deep JSON", { "content-type": "application/json" }, deep],
    [
      "proto pollution",
      { "content-type": "application/json" },
      '{"__proto__":{"account_id":"x"},"constructor":1}',
    ],
    [
      "unicode",
      { "content-type": "application/json; charset=utf-8" },
      '{"api_key":"\u{1F4A5}","client_secret":"\u0000"}',
    ],
    [
      "junk tokens",
      { token: junkJwt, authorization: `Bearer ${junkJwt}`, refreshToken: "true" },
      undefined,
    ],
    ["dots", { token: "..", authorization: "Bearer ..", refreshToken: "true" }, undefined],
    ["bare bearer", { authorization: "Bearer" }, "{}"],
    [
      "odd expiry",
      { ...MERCHANT, scope: "Recurring", jwtTokenExpiryMinutes: "1e3", TokenExpiryMinutes: "0x20" },
      undefined,
    ],
  ];

  it.each(ENDPOINT_NAMES)("%s", async (name) => {
    const { emulator } = setup();
    const path = PATHS[name];
    const method = name === "papayaApi" ? "GET" : "POST";
    for (const [label, headers, body] of junk) {
      const response = await emulator.fetch(
        new Request(`${BASE}${path}`, {
          method,
          headers,
          ...(method === "GET" || body === undefined ? {} : { body }),
        }),
      );
      expect(response.status, `${name}: ${label}`).toBeLessThan(500);
      expect(response.status, `${name}: ${label}`).toBeGreaterThanOrEqual(400);
      expect(response.headers.get("content-type"), `${name}: ${label}`).toBe("application/json");
      await response.json();
    }
  });

  it("odd paths and methods", async () => {
    const { emulator } = setup();
    for (const path of [
      "//",
      "/%00",
      "/ipospays/%2e%2e/papaya/token",
      `/${BIG}`,
      "/_emulator/%00",
    ]) {
      for (const method of ["GET", "POST", "PUT", "DELETE", "OPTIONS", "PROPFIND"]) {
        const response = await emulator.fetch(new Request(`${BASE}${path}`, { method }));
        expect(response.status, `${method} ${path}`).toBeLessThan(500);
      }
    }
  });
});
