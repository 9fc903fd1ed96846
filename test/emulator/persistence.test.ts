/**
 * The emulator Worker keeps its signing key and its ledger across restarts of `npm start`, as a
 * real provider would (issue 11.7): before, every restart made a new key, and the provider
 * tokens the broker had cached in KV were refused for a day. A reset still forgets the tokens.
 */
import { describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.ts";
import {
  get,
  ipospaysToken,
  json,
  PATHS,
  papayaToken,
  payin,
  payments,
  paymentsgatePair,
  post,
  postJson,
  transact,
} from "../support/emulator-wire.ts";
import { type EmulatorWorker, withEmulatorWorker } from "../support/emulator-worker.ts";

const URL_BASE = "http://127.0.0.1:8788";

/** The helpers take an emulator; the Worker answers the same requests. */
function asEmulator(worker: EmulatorWorker): Emulator {
  return {
    fetch: (input: Request | string | URL, init?: RequestInit) =>
      worker.fetch(new Request(input, init)),
  } as Emulator;
}

async function jwks(worker: EmulatorWorker): Promise<unknown> {
  return json(await worker.fetch(new Request(`${URL_BASE}/_emulator/jwks`)));
}

async function control(worker: EmulatorWorker, path: string, body?: unknown): Promise<Response> {
  return worker.fetch(
    new Request(`${URL_BASE}/_emulator/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body ?? {}),
    }),
  );
}

describe("the emulator Worker across a restart", () => {
  it("keeps its key and every token it issued: all three providers' APIs still take them", async () => {
    await withEmulatorWorker(async (worker) => {
      const emulator = asEmulator(worker);
      const ipos = await ipospaysToken(emulator);
      const pair = await paymentsgatePair(emulator);
      const papaya = await papayaToken(emulator);
      const key = await jwks(worker);

      worker.restart();
      const after = asEmulator(worker);
      expect(await jwks(worker)).toEqual(key);
      expect((await transact(after, ipos, { amount: 1 })).status).toBe(200);
      expect((await payin(after, pair.access_token)).status).toBe(200);
      expect((await payments(after, papaya)).status).toBe(200);
      // The PaymentsGate refresh token is still live, and still works once only.
      const refresh = () =>
        after.fetch(
          postJson(
            PATHS.paymentsgateRefresh,
            { refresh_token: pair.refresh_token },
            { authorization: `Bearer ${pair.access_token}` },
          ),
        );
      expect((await refresh()).status).toBe(200);
      worker.restart();
      expect((await refresh()).status).toBe(401);
    });
  });

  it("keeps revocations, and counts and faults start afresh", async () => {
    await withEmulatorWorker(async (worker) => {
      const emulator = asEmulator(worker);
      const token = await papayaToken(emulator);
      expect((await control(worker, "revoke", { token })).status).toBeLessThan(300);
      expect(
        (await control(worker, "faults", { provider: "papaya", kind: "status", status: 503 }))
          .status,
      ).toBeLessThan(300);
      worker.restart();
      expect((await payments(asEmulator(worker), token)).status).toBe(401);
      expect(await json(await worker.fetch(get("/_emulator/calls")))).toEqual({
        "GET /papaya/v1/payments": 1,
      });
      // No fault came back with the restart: the token endpoint answers.
      expect(typeof (await papayaToken(asEmulator(worker)))).toBe("string");
    });
  });

  it("a reset still forgets the tokens (before and after a restart), and keeps the key", async () => {
    await withEmulatorWorker(async (worker) => {
      const emulator = asEmulator(worker);
      const token = await ipospaysToken(emulator);
      const key = await jwks(worker);
      expect((await control(worker, "reset")).status).toBeLessThan(300);
      expect((await transact(emulator, token)).status).toBe(401);
      worker.restart();
      expect((await transact(asEmulator(worker), token)).status).toBe(401);
      expect(await jwks(worker)).toEqual(key);
      const fresh = await ipospaysToken(asEmulator(worker));
      worker.restart();
      expect((await transact(asEmulator(worker), fresh)).status).toBe(200);
    });
  });

  it("keeps the payments made per Idempotency-Key: the same key replays after an eviction, once", async () => {
    await withEmulatorWorker(async (worker) => {
      const token = await ipospaysToken(asEmulator(worker));
      const body = JSON.stringify({ transactionRequest: { transactionType: 1, amount: "4200" } });
      const pay = (key: string, sent = body) =>
        worker.fetch(
          post(
            PATHS.ipospaysApi,
            { token, "content-type": "application/json", "Idempotency-Key": key },
            sent,
          ),
        );
      const reference = async (response: Response) =>
        ((await json(response)).iposhpresponse as { transactionReferenceId: string })
          .transactionReferenceId;
      const first = await reference(await pay("evicted-1"));
      worker.restart(); // what an eviction of the idle object does to its memory
      const again = await pay("evicted-1");
      expect(again.headers.get("idempotent-replayed")).toBe("true");
      expect(await reference(again)).toBe(first);
      expect((await pay("evicted-1", body.replace("4200", "4300"))).status).toBe(422);
      expect(await json(await worker.fetch(get("/_emulator/calls")))).toEqual({
        "POST /ipospays/api/v3/iposTransact": 2,
      });
      // A reset forgets them, before and after a restart.
      expect((await control(worker, "reset")).status).toBeLessThan(300);
      worker.restart();
      const fresh = await ipospaysToken(asEmulator(worker));
      const after = await worker.fetch(
        post(
          PATHS.ipospaysApi,
          { token: fresh, "content-type": "application/json", "Idempotency-Key": "evicted-1" },
          body,
        ),
      );
      expect(after.headers.get("idempotent-replayed")).toBeNull();
      expect(await reference(after)).not.toBe(first);
    });
  });
});
