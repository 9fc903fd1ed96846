/**
 * iPOSpays Transact and `Idempotency-Key` in the emulator: one payment per key, whatever the
 * number of requests that carry it (the demo page's retries, a replay through the broker).
 */
import { describe, expect, it } from "vitest";
import { IDEMPOTENCY_TTL_MS } from "../../src/emulator/idempotency.ts";
import { ipospaysToken, json, PATHS, post, setup } from "../support/emulator-wire.ts";

const BODY = JSON.stringify({ transactionRequest: { transactionType: 1, amount: "1250" } });

function pay(
  emulator: ReturnType<typeof setup>["emulator"],
  token: string,
  key?: string,
  body = BODY,
) {
  return emulator.fetch(
    post(
      PATHS.ipospaysApi,
      {
        token,
        "content-type": "application/json",
        ...(key === undefined ? {} : { "Idempotency-Key": key }),
      },
      body,
    ),
  );
}

const referenceOf = async (response: Response) =>
  ((await json(response)).iposhpresponse as { transactionReferenceId: string })
    .transactionReferenceId;

describe("iPOSpays Transact with Idempotency-Key", () => {
  it("answers the same key and body with the first answer, marked as replayed", async () => {
    const { emulator } = setup();
    const token = await ipospaysToken(emulator);
    const first = await pay(emulator, token, "attempt-1");
    expect(first.status).toBe(200);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const again = await pay(emulator, token, "attempt-1");
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await referenceOf(again)).toBe(await referenceOf(first));
  });

  it("makes one payment for ten concurrent requests with one key, and a new one per new key", async () => {
    const { emulator } = setup();
    const token = await ipospaysToken(emulator);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => pay(emulator, token, "attempt-2")),
    );
    const references = new Set(await Promise.all(answers.map(referenceOf)));
    expect(references.size).toBe(1);
    const other = await referenceOf(await pay(emulator, token, "attempt-3"));
    expect(references.has(other)).toBe(false);
    // Without a key every request is a payment of its own, as before.
    const a = await referenceOf(await pay(emulator, token));
    const b = await referenceOf(await pay(emulator, token));
    expect(a).not.toBe(b);
  });

  it("refuses the same key with another body: 422, and the first payment stands", async () => {
    const { emulator } = setup();
    const token = await ipospaysToken(emulator);
    const first = await referenceOf(await pay(emulator, token, "attempt-4"));
    const other = await pay(
      emulator,
      token,
      "attempt-4",
      JSON.stringify({ transactionRequest: { transactionType: 1, amount: "9999" } }),
    );
    expect(other.status).toBe(422);
    expect(await json(other)).toMatchObject({ errorCode: "IDEMPOTENCY_KEY_REUSED" });
    expect(await referenceOf(await pay(emulator, token, "attempt-4"))).toBe(first);
  });

  it("keeps no answer for a request that made no payment: a fault, a refused token, error_200", async () => {
    const { emulator } = setup();
    const token = await ipospaysToken(emulator);
    emulator.addFault({ provider: "ipospays", endpoint: "api", kind: "status", status: 503 });
    expect((await pay(emulator, token, "attempt-5")).status).toBe(503);
    emulator.clearFaults();
    expect((await pay(emulator, "not-a-token", "attempt-5")).status).toBe(401);
    emulator.addFault({ provider: "ipospays", endpoint: "api", kind: "error_200", count: 1 });
    expect(await json(await pay(emulator, token, "attempt-5"))).toHaveProperty("errorCode");
    const retried = await pay(emulator, token, "attempt-5");
    expect(retried.status).toBe(200);
    expect(retried.headers.get("idempotent-replayed")).toBeNull();
  });

  it("needs a valid token for a replay too, and forgets keys after a day and on reset", async () => {
    const { emulator, clock } = setup();
    const token = await ipospaysToken(emulator);
    const first = await referenceOf(await pay(emulator, token, "attempt-6"));
    expect((await pay(emulator, "not-a-token", "attempt-6")).status).toBe(401);
    clock.advance(IDEMPOTENCY_TTL_MS + 1);
    const fresh = await ipospaysToken(emulator);
    const later = await pay(emulator, fresh, "attempt-6");
    expect(later.headers.get("idempotent-replayed")).toBeNull();
    expect(await referenceOf(later)).not.toBe(first);
    const kept = await referenceOf(await pay(emulator, fresh, "attempt-7"));
    emulator.reset();
    const reissued = await ipospaysToken(emulator);
    expect(await referenceOf(await pay(emulator, reissued, "attempt-7"))).not.toBe(kept);
  });

  it("refuses a key longer than 255 characters: 400", async () => {
    const { emulator } = setup();
    const token = await ipospaysToken(emulator);
    expect((await pay(emulator, token, "k".repeat(256))).status).toBe(400);
  });
});
