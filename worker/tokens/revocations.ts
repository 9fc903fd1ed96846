/**
 * Revoked broker tokens, by `jti`, in KV until the token would have expired anyway (never less
 * than KV's 60 s minimum). That is also long enough for the tokens exchanged from it, which are
 * refused by their lineage (`root_jti`, `chain`): an exchange never outlives its subject token.
 * KV is eventually consistent: another colo may accept a revoked token for up to about a minute;
 * this isolate refuses it at once.
 */
import { KV_MIN_TTL_SECONDS } from "../../src/index.ts";

const PREFIX = "edgetoken:broker:v1:revoked:";
/** Local memory of recent revocations, bounded. */
const REMEMBERED = 1024;

export interface Revocations {
  revoke(jti: string, exp: number, now: number): Promise<void>;
  isRevoked(jti: string): Promise<boolean>;
}

/** How long a revocation must be kept: until `exp` (seconds), at least KV's minimum. */
export function revocationTtl(exp: number, now: number): number {
  return Math.max(KV_MIN_TTL_SECONDS, Math.ceil(exp - now / 1000));
}

export function createRevocations(kv: KVNamespace): Revocations {
  const recent = new Set<string>();
  return {
    async revoke(jti, exp, now) {
      recent.add(jti);
      if (recent.size > REMEMBERED) recent.delete(recent.values().next().value ?? jti);
      await kv.put(`${PREFIX}${jti}`, "1", { expirationTtl: revocationTtl(exp, now) });
    },
    async isRevoked(jti) {
      return recent.has(jti) || (await kv.get(`${PREFIX}${jti}`, "text")) !== null;
    },
  };
}
