// Deno KV calls as the Deno KV store and lease make them: every answer checked with valibot
// before it is trusted, and a call that throws tried again a few times.
import * as v from "valibot";
import type { DenoKvAtomicLike, DenoKvAtomicOperationLike } from "../stores/deno-kv.ts";

/** An entry as `kv.get` gives it: whatever the value, and the versionstamp it was written at. */
const EntrySchema = v.object({ value: v.unknown(), versionstamp: v.nullable(v.string()) });

/** What `commit()` answers: written at a versionstamp, or refused by a check. */
const CommitSchema = v.variant("ok", [
  v.object({ ok: v.literal(true), versionstamp: v.string() }),
  v.object({ ok: v.literal(false) }),
]);

/** An entry read from Deno KV, checked; the value is still unknown. */
export async function readEntry(
  kv: DenoKvAtomicLike,
  key: readonly string[],
  consistency: "strong" | "eventual" = "strong",
): Promise<{ value: unknown; versionstamp: string | null }> {
  const entry = v.safeParse(EntrySchema, await kv.get(key, { consistency }));
  if (!entry.success) throw new TypeError("Deno KV answered get() with something not an entry.");
  return entry.output;
}

/** Commits, and checks the answer: the versionstamp written, or `null` if a check failed. */
export async function commit(operation: DenoKvAtomicOperationLike): Promise<string | null> {
  const result = v.safeParse(CommitSchema, await operation.commit());
  if (!result.success) throw new TypeError("Deno KV answered commit() unexpectedly.");
  return result.output.ok ? result.output.versionstamp : null;
}

/**
 * How many times a Deno KV call that throws is tried. A local database file that several
 * processes share answers "database is locked" while another process writes (SQLite does not
 * wait for the lock there); the call wrote nothing, and a moment later it goes through.
 */
const ATTEMPTS = 4;

/** `call`, tried again after a few milliseconds when it throws; its last error if all fail. */
export async function retrying<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= ATTEMPTS) throw error;
      const ms = 5 * 2 ** attempt * (0.5 + Math.random());
      await new Promise((resolve) => setTimeout(resolve, ms));
    }
  }
}

/** Deno KV's `expireIn`: whole milliseconds, at least one. */
export function expireIn(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}
