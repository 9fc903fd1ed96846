import * as v from "valibot";
import type { Reply } from "./reply.ts";

/**
 * Payments made once per `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header): the
 * same key with the same body gets the answer the first request got, and charges nothing more;
 * the same key with another body is refused (422). Only a payment that was made is kept — a
 * refused token or a fault made none, so its retry is a first attempt. The emulator's own
 * choice: PROVIDERS.md documents no idempotency for iPOSpays Transact, and a demo needs one.
 * Kept for a day: in memory, and in the emulator's storage when it has one (the emulator
 * Worker's Durable Object), so a key still replays after the object was evicted or restarted.
 */
export interface Payments {
  /** The answer a key already got, `reused` when it came with another body, else `undefined`. */
  recall(key: string, fingerprint: string, now: number): Reply | "reused" | undefined;
  remember(key: string, fingerprint: string, reply: Reply, now: number): void;
  /** Takes back the payments the storage kept (by key); those of the wrong shape are skipped. */
  restore(kept: readonly (readonly [string, unknown])[]): void;
  clear(): void;
}

/** A payment as it is remembered (and kept). */
export interface MadePayment {
  fingerprint: string;
  reply: Reply;
  at: number;
}

const MadePaymentSchema = v.object({
  fingerprint: v.string(),
  at: v.number(),
  reply: v.union([
    v.object({
      status: v.number(),
      json: v.unknown(),
      headers: v.optional(v.record(v.string(), v.string())),
    }),
    v.object({
      status: v.number(),
      text: v.string(),
      contentType: v.string(),
      headers: v.optional(v.record(v.string(), v.string())),
    }),
  ]),
});

/** How many keys are remembered; past this the oldest are forgotten. */
export const PAYMENTS_LIMIT: number = 10_000;
/** How long a key is remembered. */
export const IDEMPOTENCY_TTL_MS: number = 24 * 3_600_000;
/** A longer `Idempotency-Key` is a bad request. */
export const MAX_IDEMPOTENCY_KEY_LENGTH: number = 255;

/** The request body's SHA-256, base64url: what "the same request" is compared by. */
export async function fingerprintOf(body: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body));
  let binary = "";
  for (const byte of new Uint8Array(digest)) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * @param keep told of each payment remembered (and of each forgotten, with `undefined`), to keep
 *   it in the emulator's storage.
 */
export function createPayments(
  keep?: (key: string, payment: MadePayment | undefined) => void,
): Payments {
  const made = new Map<string, MadePayment>();
  /** Past the limit, the oldest keys go (from the storage too). */
  const trim = (forget?: (key: string, payment: undefined) => void): void => {
    while (made.size > PAYMENTS_LIMIT) {
      const oldest = made.keys().next();
      if (oldest.done) break;
      made.delete(oldest.value);
      forget?.(oldest.value, undefined);
    }
  };
  return {
    recall(key, fingerprint, now) {
      const entry = made.get(key);
      if (entry === undefined) return undefined;
      if (now - entry.at > IDEMPOTENCY_TTL_MS) {
        made.delete(key);
        keep?.(key, undefined);
        return undefined;
      }
      return entry.fingerprint === fingerprint ? entry.reply : "reused";
    },
    remember(key, fingerprint, reply, now) {
      const payment = { fingerprint, reply, at: now };
      made.delete(key);
      made.set(key, payment);
      keep?.(key, payment);
      trim(keep);
    },
    restore(kept) {
      const sound: [string, MadePayment][] = [];
      for (const [key, value] of kept) {
        const parsed = v.safeParse(MadePaymentSchema, value);
        if (parsed.success && key.length <= MAX_IDEMPOTENCY_KEY_LENGTH && !made.has(key)) {
          sound.push([key, parsed.output as MadePayment]);
        }
      }
      // Oldest first, as they were made (storage lists by key): past the limit, the oldest go.
      sound.sort((a, b) => a[1].at - b[1].at);
      for (const [key, payment] of sound) made.set(key, payment);
      trim(keep);
    },
    clear() {
      made.clear();
    },
  };
}
