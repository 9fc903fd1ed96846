import * as v from "valibot";
import { Token } from "../token.ts";

/**
 * A token as a store keeps it: versioned JSON, checked on the way back in. `key` is the name it
 * was stored under: a record copied under another name (another provider's, scope's, endpoint's
 * or credential's) is a miss, never a foreign token. Records without it (written before it was
 * added) are misses too; the next write replaces them.
 */
const TokenRecordSchema = v.pipe(
  v.object({
    v: v.literal(1),
    key: v.string(),
    value: v.pipe(v.string(), v.nonEmpty()),
    expiresAt: v.pipe(v.number(), v.finite()),
    obtainedAt: v.pipe(v.number(), v.finite()),
    scope: v.optional(v.string()),
    refreshToken: v.optional(v.string()),
  }),
  // No token we store ends before it began (one already expired is never stored).
  v.check((record) => record.obtainedAt < record.expiresAt),
);

/**
 * Serialises a token for a store, under the name `key`. The output holds the secret: it goes
 * nowhere but the store.
 */
export function encodeToken(token: Token, key: string): string {
  const init = token.toInit();
  return JSON.stringify({
    v: 1,
    key,
    value: init.value,
    expiresAt: init.expiresAt,
    obtainedAt: init.obtainedAt,
    scope: init.scope,
    refreshToken: init.refreshToken,
  });
}

/**
 * Rebuilds the token stored under `key`; anything malformed, or stored for another key, is
 * `undefined` (a miss), never an exception.
 */
export function decodeToken(text: string | null, key: string): Token | undefined {
  if (text === null) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const result = v.safeParse(TokenRecordSchema, json);
  if (!result.success || result.output.key !== key) return undefined;
  const { v: _version, key: _key, ...init } = result.output;
  return new Token(init);
}
