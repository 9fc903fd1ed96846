/**
 * What the emulator keeps across restarts when it is given somewhere to keep it: its signing key
 * its ledger (issued tokens, revocations, live refresh tokens) and the payments made per
 * `Idempotency-Key` — as a real provider would, so tokens a broker cached before `npm start` was
 * restarted still work after it, and a key replays after the object was evicted. Call counts,
 * faults and the clock offset start afresh. The emulator Worker keeps them in a Durable Object's
 * storage (`worker.ts`); in code, without storage, an emulator lives as long as its object.
 */
import type { JWK } from "jose";
import type { ProviderName } from "./faults.ts";
import type { MadePayment, Payments } from "./idempotency.ts";
import type { Ledger, LedgerChange } from "./ledger.ts";

/** The part of a Durable Object's storage the emulator uses (`ctx.storage` fits). */
export interface EmulatorStorage {
  get<T = unknown>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
  delete(key: string): Promise<boolean>;
  list<T = unknown>(options: { prefix: string }): Promise<Map<string, T>>;
  deleteAll(): Promise<void>;
}

/** The signing key as it is kept: both halves as JWKs. */
export interface StoredKeyPair {
  privateKey: JWK;
  publicKey: JWK;
}

export const KEY_PAIR = "key";
const ISSUED = "issued:";
const REVOKED = "revoked:";
const REFRESH = "refresh:";
const PAYMENT = "payment:";

const PROVIDERS: ReadonlySet<string> = new Set<ProviderName>([
  "ipospays",
  "paymentsgate",
  "papaya",
]);

/**
 * Writes each change as it happens. Not awaited: a Durable Object's storage keeps writes in
 * order and holds the response until they are durable. A failed write costs that entry at the
 * next restart, never the answer.
 */
export function journalTo(storage: EmulatorStorage): (change: LedgerChange) => void {
  const settle = (write: Promise<unknown>): void => {
    write.catch(() => {});
  };
  return (change) => {
    switch (change.kind) {
      case "issued":
        return settle(storage.put(ISSUED + change.id, change.provider));
      case "forgotten":
        return settle(storage.delete(ISSUED + change.id));
      case "revoked":
        return settle(storage.put(REVOKED + change.token, true));
      case "refresh_token":
        return settle(storage.put(REFRESH + change.token, change.accountId));
      case "refresh_spent":
        return settle(storage.delete(REFRESH + change.token));
      case "cleared":
        // Everything but the key: a reset forgets tokens, not who signs them.
        return settle(
          storage.get<StoredKeyPair>(KEY_PAIR).then(async (pair) => {
            await storage.deleteAll();
            if (pair !== undefined) await storage.put(KEY_PAIR, pair);
          }),
        );
    }
  };
}

/** Fills `ledger` from what `storage` kept; entries of the wrong shape are skipped. */
export async function restoreLedger(ledger: Ledger, storage: EmulatorStorage): Promise<void> {
  const [issued, revoked, refresh] = await Promise.all([
    storage.list({ prefix: ISSUED }),
    storage.list({ prefix: REVOKED }),
    storage.list({ prefix: REFRESH }),
  ]);
  for (const [key, provider] of issued) {
    if (typeof provider === "string" && PROVIDERS.has(provider)) {
      ledger.restoreIssued(key.slice(ISSUED.length), provider as ProviderName);
    }
  }
  for (const key of revoked.keys()) ledger.restoreRevoked(key.slice(REVOKED.length));
  for (const [key, accountId] of refresh) {
    if (typeof accountId === "string")
      ledger.restoreRefreshToken(key.slice(REFRESH.length), accountId);
  }
}

/** Keeps each payment made per `Idempotency-Key` (not awaited, as the ledger's changes). */
export function keepPaymentsIn(
  storage: EmulatorStorage,
): (key: string, payment: MadePayment | undefined) => void {
  return (key, payment) => {
    const write =
      payment === undefined ? storage.delete(PAYMENT + key) : storage.put(PAYMENT + key, payment);
    write.catch(() => {});
  };
}

/** Fills `payments` from what `storage` kept; entries of the wrong shape are skipped. */
export async function restorePayments(payments: Payments, storage: EmulatorStorage): Promise<void> {
  const kept = await storage.list({ prefix: PAYMENT });
  payments.restore([...kept].map(([key, payment]) => [key.slice(PAYMENT.length), payment]));
}
