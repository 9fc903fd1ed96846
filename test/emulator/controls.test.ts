/**
 * The HTTP controls under /_emulator/: calls, faults, clock, revoke, reset and jwks.
 */
import { describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.ts";
import { prepared } from "../support/emulator-endpoints.ts";
import {
  BASE,
  HTTP_DATE_T0,
  ipospaysToken,
  json,
  PAPAYA,
  PATHS,
  papayaToken,
  payments,
  post,
  postJson,
  setup,
  T0,
} from "../support/emulator-wire.ts";

describe("HTTP controls under /_emulator/", () => {
  const control = (emulator: Emulator, method: string, name: string, body?: unknown) =>
    emulator.fetch(
      new Request(`${BASE}/_emulator/${name}`, {
        method,
        ...(body === undefined
          ? {}
          : {
              headers: { "Content-Type": "application/json" },
              body: typeof body === "string" ? body : JSON.stringify(body),
            }),
      }),
    );

  it("GET calls mirrors calls()", async () => {
    const { emulator } = setup();
    await ipospaysToken(emulator);
    const response = await control(emulator, "GET", "calls");
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ "POST /ipospays/v1/authenticate-token": 1 });
  });

  it("POST faults arms a fault; DELETE faults clears them", async () => {
    const { emulator, request } = await prepared("ipospaysToken");
    const added = await control(emulator, "POST", "faults", {
      provider: "ipospays",
      kind: "rate_limit",
      retryAfter: 3,
    });
    expect(added.status).toBe(201);
    expect((await emulator.fetch(request())).status).toBe(429);
    expect((await control(emulator, "DELETE", "faults")).status).toBe(200);
    expect((await emulator.fetch(request())).status).toBe(200);
  });

  describe("refuses what a cross-site page could send", () => {
    const FAULT = JSON.stringify({ kind: "status", status: 503 });
    const changes: Array<[string, string, string | undefined]> = [
      ["POST", "faults", FAULT],
      ["DELETE", "faults", undefined],
      ["POST", "clock", JSON.stringify({ advanceMs: 1000 })],
      ["POST", "revoke", JSON.stringify({ token: "x" })],
      ["POST", "reset", undefined],
    ];

    it.each(changes)(
      "%s %s from Origin: https://evil.example → 403, and nothing changes",
      async (method, name, body) => {
        const { emulator } = setup();
        await ipospaysToken(emulator);
        const response = await emulator.fetch(
          new Request(`${BASE}/_emulator/${name}`, {
            method,
            headers: { Origin: "https://evil.example", "Content-Type": "application/json" },
            ...(body === undefined ? {} : { body }),
          }),
        );
        expect(response.status).toBe(403);
        expect(await json(response)).toMatchObject({ error: "Forbidden" });
        expect(emulator.calls()).toEqual({ "POST /ipospays/v1/authenticate-token": 1 });
      },
    );

    it.each([
      ["text/plain", "text/plain;charset=UTF-8"],
      ["a form", "application/x-www-form-urlencoded"],
      ["multipart", "multipart/form-data; boundary=x"],
    ])("a %s body → 415, with no Origin at all", async (_name, type) => {
      const { emulator } = setup();
      for (const name of ["faults", "reset"]) {
        const response = await emulator.fetch(
          new Request(`${BASE}/_emulator/${name}`, {
            method: "POST",
            headers: { "Content-Type": type },
            body: FAULT,
          }),
        );
        expect(response.status, name).toBe(415);
      }
      const added = await emulator.fetch(
        new Request(`${BASE}/_emulator/faults`, { method: "POST", body: FAULT }),
      );
      expect(added.status).toBe(415);
      // No fault was armed.
      expect(await ipospaysToken(emulator)).toMatch(/^ey/);
    });

    it("Sec-Fetch-Site: cross-site without an Origin → 403", async () => {
      const { emulator } = setup();
      const response = await emulator.fetch(
        new Request(`${BASE}/_emulator/reset`, {
          method: "POST",
          headers: { "Sec-Fetch-Site": "cross-site" },
        }),
      );
      expect(response.status).toBe(403);
    });

    it("the emulator's own origin, loopback origins and curl (no Origin) are let in; GET from anywhere", async () => {
      const { emulator } = setup();
      for (const origin of [
        new URL(BASE).origin,
        "http://localhost:5173",
        "http://127.0.0.1:3000",
        "http://[::1]:8080",
        undefined,
      ]) {
        const response = await emulator.fetch(
          new Request(`${BASE}/_emulator/faults`, {
            method: "POST",
            headers: {
              "Content-Type": "application/json",
              ...(origin === undefined ? {} : { Origin: origin }),
            },
            body: FAULT,
          }),
        );
        expect(response.status, String(origin)).toBe(201);
      }
      const calls = await emulator.fetch(
        new Request(`${BASE}/_emulator/calls`, { headers: { Origin: "https://evil.example" } }),
      );
      expect(calls.status).toBe(200);
      const reset = await emulator.fetch(
        new Request(`${BASE}/_emulator/reset`, { method: "POST" }),
      );
      expect(reset.status).toBe(200);
    });
  });

  it.each([
    ["not JSON", "kind=status"],
    ["an unknown kind", { kind: "explode" }],
    ["a status out of range", { kind: "status", status: 99 }],
    ["an unknown field", { kind: "non_json", when: "always" }],
    ["a string count", { kind: "non_json", count: "1" }],
    ["an array", [{ kind: "non_json" }]],
  ])("POST faults with %s → 400 JSON", async (_name, body) => {
    const { emulator } = setup();
    const response = await control(emulator, "POST", "faults", body);
    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({
      error: "Bad Request",
      message: expect.any(String),
    });
  });

  it("POST clock advances the clock", async () => {
    const { emulator } = setup();
    expect((await control(emulator, "POST", "clock", { advanceMs: 90_000 })).status).toBe(200);
    const response = await emulator.fetch(post("/nowhere"));
    expect(response.headers.get("date")).toBe(new Date(T0 + 90_000).toUTCString());
  });

  it.each([[{}], [{ advanceMs: "60" }], [{ advanceMs: 1e300 }], ["{"]])(
    "POST clock with %j → 400",
    async (body) => {
      const { emulator } = setup();
      expect((await control(emulator, "POST", "clock", body)).status).toBe(400);
    },
  );

  it("POST revoke revokes a token; a bad body is a 400", async () => {
    const { emulator } = setup();
    const token = await papayaToken(emulator);
    expect((await control(emulator, "POST", "revoke", { token })).status).toBe(200);
    expect((await payments(emulator, token)).status).toBe(401);
    expect((await control(emulator, "POST", "revoke", { jwt: token })).status).toBe(400);
  });

  it("POST reset resets", async () => {
    const { emulator } = setup();
    await ipospaysToken(emulator);
    emulator.addFault({ kind: "status", status: 500 });
    expect((await control(emulator, "POST", "reset")).status).toBe(200);
    expect(emulator.calls()).toEqual({});
    expect((await emulator.fetch(postJson(PATHS.papayaToken, PAPAYA))).status).toBe(201);
  });

  it("GET jwks publishes the public key", async () => {
    const { emulator } = setup();
    const response = await control(emulator, "GET", "jwks");
    expect(await json(response)).toEqual(await emulator.jwks());
  });

  it.each(["nope", "", "__proto__", "constructor", "calls/extra"])(
    "404 for /_emulator/%s",
    async (name) => {
      const { emulator } = setup();
      const response = await control(emulator, "GET", name);
      expect(response.status).toBe(404);
      expect(response.headers.get("date")).toBe(HTTP_DATE_T0);
    },
  );

  it.each([
    ["GET", "reset", "POST"],
    ["POST", "calls", "GET"],
    ["PUT", "faults", "POST, DELETE"],
    ["PATCH", "clock", "POST"],
  ])("405 for %s /_emulator/%s, with Allow: %s", async (method, name, allow) => {
    const { emulator } = setup();
    const response = await control(emulator, method, name);
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe(allow);
  });

  it("are neither counted nor faulted", async () => {
    const { emulator } = setup();
    emulator.addFault({ kind: "status", status: 503 });
    emulator.addFault({ kind: "latency", ms: 5_000 });
    const response = await control(emulator, "GET", "calls");
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({});
  });
});
