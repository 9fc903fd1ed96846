/**
 * Revoked broker tokens, by `jti`, in KV until the token would have expired anyway (never less
 * than KV's 60 s minimum). That is also long enough for the tokens exchanged from it, which are
 * refused by their lineage (`root_jti`, `chain`): an exchange never outlives its subject token.
 *
 * What the isolate knows spares KV reads on the hot path: a revocation made or seen here is
 * remembered, and a "not revoked" answer from KV is trusted for {@link REVOCATION_RECHECK_MS},
 * so a token used again and again costs one KV read per isolate per recheck interval, not one per
 * request. This isolate refuses a token it revoked at once; another isolate of the same colo
 * within {@link REVOCATION_RECHECK_MS}; another colo within that plus KV's propagation (KV is
 * eventually consistent: up to about a minute).
 */
import { KV_MIN_TTL_SECONDS } from "../../src/index.ts";

const PREFIX = "edgetoken:broker:v1:revoked:";
/** Local memory of revocations, bounded (the oldest goes first; KV still has them). */
const REMEMBERED = 1024;
/** How long a "not revoked" answer is trusted before KV is asked again. */
export const REVOCATION_RECHECK_MS = 10_000;
/** "Not revoked" answers remembered, bounded (the oldest goes first). */
const CHECKED = 4096;

export interface Revocations {
  revoke(jti: string, exp: number, now: number): Promise<void>;
  /** Whether `jti` is revoked, as this isolate knows it at `now` (see above for how fresh). */
  isRevoked(jti: string, now: number): Promise<boolean>;
}

/** How long a revocation must be kept: until `exp` (seconds), at least KV's minimum. */
export function revocationTtl(exp: number, now: number): number {
  return Math.max(KV_MIN_TTL_SECONDS, Math.ceil(exp - now / 1000));
}

export function createRevocations(kv: KVNamespace): Revocations {
  const revoked = new Set<string>();
  /** jti → until when its "not revoked" answer is trusted (epoch ms). */
  const clear = new Map<string, number>();
  const remember = (jti: string) => {
    clear.delete(jti);
    revoked.add(jti);
    if (revoked.size > REMEMBERED) revoked.delete(revoked.values().next().value ?? jti);
  };
  return {
    async revoke(jti, exp, now) {
      remember(jti);
      await kv.put(`${PREFIX}${jti}`, "1", { expirationTtl: revocationTtl(exp, now) });
    },
    async isRevoked(jti, now) {
      if (revoked.has(jti)) return true;
      const until = clear.get(jti);
      if (until !== undefined && now < until && now >= until - REVOCATION_RECHECK_MS) {
        return false;
      }
      const found = (await kv.get(`${PREFIX}${jti}`, "text")) !== null;
      if (found) {
        remember(jti);
      } else {
        clear.delete(jti);
        clear.set(jti, now + REVOCATION_RECHECK_MS);
        if (clear.size > CHECKED) clear.delete(clear.keys().next().value ?? jti);
      }
      return found;
    },
  };
}
