/**
 * The emulator's routing: by path whatever the host, 404 and 405 as JSON, the same emulator as a
 * Worker, and the Date header on every response. Provider contracts live in
 * <provider>-*.test.ts beside this file.
 */

import { describe, expect, it } from "vitest";
import { createEmulator } from "../../src/emulator/index.ts";
import {
  BASE,
  get,
  HTTP_DATE_T0,
  json,
  MERCHANT,
  MINUTE,
  PAPAYA,
  PATHS,
  post,
  postJson,
  setup,
  T0,
} from "../support/emulator-wire.ts";
import { withEmulatorWorker } from "../support/emulator-worker.ts";

describe("routing", () => {
  it("routes by path only, whatever the host, and takes relative paths and URL objects", async () => {
    const { emulator } = setup();
    const headers = { ...MERCHANT, scope: "Recurring" };
    for (const input of [
      "https://auth.ipospays.tech/ipospays/v1/authenticate-token",
      "http://127.0.0.1:8788/ipospays/v1/authenticate-token",
      "/ipospays/v1/authenticate-token",
      new URL("https://anything.example/ipospays/v1/authenticate-token?x=1"),
    ]) {
      const response = await emulator.fetch(input, { method: "POST", headers });
      expect(response.status).toBe(200);
    }
  });

  it("works detached from the object, as a fetch passed to a client", async () => {
    const { emulator } = setup();
    const { fetch } = emulator;
    const response = await fetch(`${BASE}${PATHS.papayaToken}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(PAPAYA),
    });
    expect(response.status).toBe(201);
  });

  it.each([
    "/v1/authenticate-token",
    "/ipospays",
    "/ipospays/v1/authenticate-token/",
    "/IPOSPAYS/v1/authenticate-token",
    "/paymentsgate/auth",
    "/papaya/v1/payments/1",
    "/papaya/token/refresh",
  ])("404 JSON for %s", async (path) => {
    const { emulator } = setup();
    const response = await emulator.fetch(post(path));
    expect(response.status).toBe(404);
    expect(await json(response)).toMatchObject({ error: "Not Found" });
  });

  it.each([
    ["GET", PATHS.ipospaysToken, "POST"],
    ["PUT", PATHS.ipospaysRefresh, "POST"],
    ["GET", PATHS.ipospaysApi, "POST"],
    ["DELETE", PATHS.paymentsgateToken, "POST"],
    ["GET", PATHS.paymentsgateRefresh, "POST"],
    ["PATCH", PATHS.paymentsgateApi, "POST"],
    ["GET", PATHS.papayaToken, "POST"],
    ["POST", PATHS.papayaApi, "GET"],
    ["OPTIONS", PATHS.papayaApi, "GET"],
    ["POST", "/", "GET"], // the root is the emulator's index (discovery.test.ts)
  ])("405 for %s %s, with Allow: %s", async (method, path, allow) => {
    const { emulator } = setup();
    const response = await emulator.fetch(new Request(`${BASE}${path}`, { method }));
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe(allow);
    expect(await json(response)).toMatchObject({ error: "Method Not Allowed" });
  });

  it("serves the same emulator as a Worker (src/emulator/worker.ts)", async () => {
    await withEmulatorWorker(async (worker) => {
      const response = await worker.fetch(
        new Request("http://127.0.0.1:8788/ipospays/v1/authenticate-token", {
          method: "POST",
          headers: { ...MERCHANT, scope: "PaymentTokenization" },
        }),
      );
      expect(response.status).toBe(200);
      expect((await json(response)).responseCode).toBe("00");
    });
  });
});

describe("the Date header", () => {
  it("is on every response: success, error, 404, 405, controls, faults", async () => {
    const { emulator } = setup();
    const responses = [
      await emulator.fetch(post(PATHS.ipospaysToken, { ...MERCHANT, scope: "Recurring" })),
      await emulator.fetch(post(PATHS.ipospaysToken)),
      await emulator.fetch(postJson(PATHS.papayaToken, { api_key: "x", client_secret: "y" })),
      await emulator.fetch(post("/nowhere")),
      await emulator.fetch(get(PATHS.ipospaysToken)),
      await emulator.fetch(get("/_emulator/calls")),
    ];
    emulator.addFault({ kind: "status", status: 503, count: 1 });
    responses.push(await emulator.fetch(post(PATHS.ipospaysToken)));
    for (const response of responses) expect(response.headers.get("date")).toBe(HTTP_DATE_T0);
  });

  it("follows the injected clock and advance()", async () => {
    const { emulator, clock } = setup();
    clock.advance(MINUTE);
    emulator.advance(MINUTE);
    const response = await emulator.fetch(
      post(PATHS.ipospaysToken, { ...MERCHANT, scope: "Recurring" }),
    );
    expect(response.headers.get("date")).toBe(new Date(T0 + 2 * MINUTE).toUTCString());
    expect((await json(response)).createdDt).toBe(String(T0 + 2 * MINUTE));
  });

  it("defaults to the real clock without a now option", async () => {
    const emulator = createEmulator();
    const response = await emulator.fetch(post("/nowhere"));
    const date = Date.parse(response.headers.get("date") ?? "");
    expect(Math.abs(date - Date.now())).toBeLessThan(5000);
  });
});
