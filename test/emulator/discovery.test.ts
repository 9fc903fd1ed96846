/**
 * The emulator's root, GET /: a JSON index of its endpoints, accounts and controls, so a
 * developer who opens http://127.0.0.1:8788/ sees what to call. Read against PROVIDERS.md's
 * paths and default accounts (emulator-wire.ts), not against the emulator's own tables.
 */

import { describe, expect, it } from "vitest";
import {
  AGENT,
  BASE,
  get,
  ISO,
  json,
  MERCHANT,
  PAPAYA,
  PATHS,
  PG_ACCOUNT,
  PG_KEY_B64,
  setup,
} from "../support/emulator-wire.ts";
import { withEmulatorWorker } from "../support/emulator-worker.ts";

interface Index {
  providers: Record<string, { endpoints: Record<string, string>; accounts: unknown[] }>;
  controls: Record<string, string>;
  secrets: string;
}

async function index(response: Response): Promise<Index> {
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/json");
  return (await json(response)) as unknown as Index;
}

describe("the emulator's root", () => {
  it("lists every provider endpoint, as calls() spells it", async () => {
    const { emulator } = setup();
    const { providers } = await index(await emulator.fetch(get("/")));
    expect(providers.ipospays?.endpoints).toEqual({
      token: `POST ${PATHS.ipospaysToken}`,
      refresh: `POST ${PATHS.ipospaysRefresh}`,
      api: `POST ${PATHS.ipospaysApi}`,
    });
    expect(providers.paymentsgate?.endpoints).toEqual({
      token: `POST ${PATHS.paymentsgateToken}`,
      refresh: `POST ${PATHS.paymentsgateRefresh}`,
      api: `POST ${PATHS.paymentsgateApi}`,
    });
    expect(providers.papaya?.endpoints).toEqual({
      token: `POST ${PATHS.papayaToken}`,
      api: `GET ${PATHS.papayaApi}`,
    });
  });

  it("lists the demo accounts by id, never a secret half", async () => {
    const { emulator } = setup();
    const response = await emulator.fetch(get("/"));
    const text = await response.clone().text();
    for (const secret of [
      MERCHANT.secretKey,
      ISO.secretKey,
      AGENT.secretKey,
      PG_KEY_B64,
      PAPAYA.client_secret,
    ]) {
      expect(text).not.toContain(secret);
    }
    const { providers, secrets } = await index(response);
    expect(providers.ipospays?.accounts).toEqual([
      {
        apiKey: MERCHANT.apiKey,
        level: "merchant",
        scopes: ["PaymentTokenization", "Recurring", "BatchReport"],
      },
      {
        apiKey: ISO.apiKey,
        level: "iso",
        scopes: ["PaymentTokenization", "Recurring", "BatchReport", "ExternalApi"],
      },
      { apiKey: AGENT.apiKey, level: "agent", scopes: ["ExternalApi"] },
    ]);
    expect(providers.paymentsgate?.accounts).toEqual([{ account_id: PG_ACCOUNT }]);
    expect(providers.papaya?.accounts).toEqual([{ api_key: PAPAYA.api_key }]);
    expect(secrets).toContain("docs/emulator.md");
  });

  it("shows a configured account by its id only, never its secret", async () => {
    const { emulator } = setup({
      accounts: {
        ipospays: [{ apiKey: "own-key", secretKey: "own-secret-ipos", level: "iso" }],
        paymentsgate: [{ accountId: "own-account", publicKey: "own-pem-text" }],
        papaya: [{ apiKey: "own-papaya", clientSecret: "own-secret-papaya" }],
      },
    });
    const response = await emulator.fetch(get("/"));
    const text = await response.clone().text();
    for (const secret of [
      "own-secret-ipos",
      "own-pem-text",
      btoa("own-pem-text"),
      "own-secret-papaya",
    ]) {
      expect(text).not.toContain(secret);
    }
    const { providers } = await index(response);
    expect(providers.ipospays?.accounts).toEqual([
      { apiKey: "own-key", level: "iso", scopes: expect.any(Array) },
    ]);
    expect(providers.paymentsgate?.accounts).toEqual([{ account_id: "own-account" }]);
    expect(providers.papaya?.accounts).toEqual([{ api_key: "own-papaya" }]);
  });

  it("lists controls that each answer under the method it names", async () => {
    const { emulator } = setup();
    const { controls } = await index(await emulator.fetch(get("/")));
    expect(Object.keys(controls).sort()).toEqual(
      [
        "GET /_emulator/calls",
        "GET /_emulator/refused",
        "POST /_emulator/faults",
        "DELETE /_emulator/faults",
        "POST /_emulator/clock",
        "POST /_emulator/revoke",
        "POST /_emulator/reset",
        "GET /_emulator/jwks",
      ].sort(),
    );
    for (const control of Object.keys(controls)) {
      const [method = "", path = ""] = control.split(" ");
      const response = await emulator.fetch(new Request(`${BASE}${path}`, { method }));
      expect([404, 405], control).not.toContain(response.status);
    }
  });

  it("is not counted and not faulted", async () => {
    const { emulator } = setup();
    emulator.addFault({ kind: "status", status: 503 });
    expect((await emulator.fetch(get("/"))).status).toBe(200);
    expect(emulator.calls()).toEqual({});
  });

  it("is served by the Worker too", async () => {
    await withEmulatorWorker(async (worker) => {
      const { providers } = await index(await worker.fetch(new Request("http://127.0.0.1:8788/")));
      expect(Object.keys(providers)).toEqual(["ipospays", "paymentsgate", "papaya"]);
    });
  });
});
