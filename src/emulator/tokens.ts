import {
  decodeJwt,
  decodeProtectedHeader,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from "jose";
import type { ProviderName } from "./faults.ts";
import type { SigningKey } from "./keys.ts";
import type { Ledger } from "./ledger.ts";

/** Why a presented token is refused, in the order the checks run. */
export type TokenProblem =
  /** absent, or not a decodable JWT */
  | "malformed"
  /** not signed RS256 by this emulator's key */
  | "signature"
  /** ours, but not issued by this provider since the last reset */
  | "unknown"
  | "revoked"
  | "expired";

/** A presented token, checked against the key, the ledger and the provider's clock. */
export type Inspection =
  | {
      ok: true;
      header: ProtectedHeaderParameters;
      claims: JWTPayload & { iat: number; exp: number };
    }
  | { ok: false; problem: TokenProblem; claims?: JWTPayload };

/** Where each provider keeps its token's id. */
export type TokenIdOf = (header: ProtectedHeaderParameters, claims: JWTPayload) => unknown;

/** Checks a presented token: structure, signature, issuer and provider, revocation, expiry. */
export async function inspectToken(
  token: string | null,
  expected: { provider: ProviderName; idOf: TokenIdOf },
  deps: { key: SigningKey; ledger: Ledger; nowMs: number },
): Promise<Inspection> {
  if (token === null || token === "") return { ok: false, problem: "malformed" };
  let header: ProtectedHeaderParameters;
  let claims: JWTPayload;
  try {
    header = decodeProtectedHeader(token);
    claims = decodeJwt(token);
  } catch {
    return { ok: false, problem: "malformed" };
  }
  if (!(await deps.key.verify(token))) return { ok: false, problem: "signature" };
  const id = expected.idOf(header, claims);
  const { iat, exp } = claims;
  if (
    typeof id !== "string" ||
    deps.ledger.issuedBy(id) !== expected.provider ||
    typeof iat !== "number" ||
    typeof exp !== "number"
  ) {
    return { ok: false, problem: "unknown" };
  }
  if (deps.ledger.isRevoked(token)) return { ok: false, problem: "revoked" };
  // RFC 7519 §4.1.4: not accepted on or after `exp`.
  if (deps.nowMs >= exp * 1000) return { ok: false, problem: "expired", claims };
  return { ok: true, header, claims: { ...claims, iat, exp } };
}

/**
 * `iat` and `exp` (seconds) for a token of `lifetimeSeconds` issued at `nowMs`. An expired token
 * (the `expired_tokens` fault) keeps its lifetime but ended a minute ago.
 */
export function validity(
  nowMs: number,
  lifetimeSeconds: number,
  expired: boolean,
): { iat: number; exp: number } {
  const now = Math.floor(nowMs / 1000);
  const exp = expired ? now - 60 : now + lifetimeSeconds;
  return { iat: exp - lifetimeSeconds, exp };
}
