import * as v from "valibot";
import { Token } from "../token.ts";

/** A token as a store keeps it: versioned JSON, checked on the way back in. */
const TokenRecordSchema = v.object({
  v: v.literal(1),
  value: v.pipe(v.string(), v.nonEmpty()),
  expiresAt: v.pipe(v.number(), v.finite()),
  obtainedAt: v.pipe(v.number(), v.finite()),
  scope: v.optional(v.string()),
  refreshToken: v.optional(v.string()),
});

/** Serialises a token for a store. The output holds the secret: it goes nowhere but the store. */
export function encodeToken(token: Token): string {
  const init = token.toInit();
  return JSON.stringify({
    v: 1,
    value: init.value,
    expiresAt: init.expiresAt,
    obtainedAt: init.obtainedAt,
    scope: init.scope,
    refreshToken: init.refreshToken,
  });
}

/** Rebuilds a stored token; anything malformed is `undefined` (a miss), never an exception. */
export function decodeToken(text: string | null): Token | undefined {
  if (text === null) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const result = v.safeParse(TokenRecordSchema, json);
  return result.success ? new Token(result.output) : undefined;
}
