/**
 * Verifying a broker access token — ES256 only, our issuer, our keys, the clock passed in, and
 * the `jti` (and, for an exchanged token, every ancestor's: `root_jti` and `chain`) checked
 * against revocations. Every way a token can fail is one answer to the caller; the reason is kept for
 * tests and logs only.
 */
import { jwtVerify } from "jose";
import * as v from "valibot";
import { ok, type Result } from "../oauth/failure.ts";
import { MAX_CHAIN } from "../oauth/grants.ts";
import { ACCESS_TOKEN_TYPE, type AccessTokenClaims, lineageOf } from "./claims.ts";
import type { KeySet } from "./signing-keys.ts";

/** Why a token was not accepted. Never shown to the caller. */
export type RejectReason = "malformed" | "signature" | "claims" | "expired" | "revoked";

/** The token's claims, or why it was rejected. */
export type Verification = Result<AccessTokenClaims, RejectReason>;

export interface VerifyOptions {
  keys: KeySet;
  issuer: string;
  /**
   * The audience required, or the audiences of which the token must name one: the endpoint's
   * own where it is a resource (the proxy), every audience of ours where any will do (exchange,
   * revocation, introspection).
   */
  audience: string | readonly string[];
  now: number;
  isRevoked(jti: string): Promise<boolean>;
}

const Jti = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/));

const ClaimsSchema = v.object({
  iss: v.string(),
  sub: v.pipe(v.string(), v.nonEmpty()),
  aud: v.pipe(v.string(), v.nonEmpty()),
  exp: v.pipe(v.number(), v.integer()),
  iat: v.pipe(v.number(), v.integer()),
  jti: Jti,
  client_id: v.pipe(v.string(), v.nonEmpty()),
  scope: v.string(),
  act: v.optional(v.object({ sub: v.string() })),
  root_jti: v.optional(Jti),
  chain: v.optional(v.pipe(v.array(Jti), v.maxLength(MAX_CHAIN))),
});

/** A generous bound: a compact JWS longer than this is not one of ours. */
const MAX_TOKEN_LENGTH = 4096;

/**
 * Tokens that verified, per key set, so a token presented again and again (the proxy's and
 * introspection's hot path) costs one ES256 verification per isolate, not one per request. An
 * entry holds what was checked against a token's exact bytes — signature, header, issuer,
 * audience, claim shapes — and is used only for the same bytes, the same issuer and audience and
 * the same key set (a rotation or a reload of the keys starts afresh); the time-bound claims
 * (`exp`, `nbf`) and revocation are checked again on every use. Only tokens that verified are
 * kept, at most {@link VERIFIED_MAX} (the oldest goes first).
 */
const VERIFIED_MAX = 1024;
interface Verified {
  claims: AccessTokenClaims;
  nbf: number | undefined;
}
const verifiedByKeys = new WeakMap<KeySet, Map<string, Verified>>();

/** jose's rule with no tolerance: valid while `now` (whole seconds) is before `exp`, not before `nbf`. */
function inTime(entry: Verified, now: number): boolean {
  const seconds = Math.floor(now / 1000);
  return seconds < entry.claims.exp && (entry.nbf === undefined || entry.nbf <= seconds);
}

function reasonOf(error: unknown): RejectReason {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case "ERR_JWT_EXPIRED":
      return "expired";
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
    case "ERR_JWKS_NO_MATCHING_KEY":
    case "ERR_JWKS_MULTIPLE_MATCHING_KEYS":
    case "ERR_JOSE_ALG_NOT_ALLOWED":
      return "signature";
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      return "claims";
    default:
      return "malformed";
  }
}

/**
 * Verifies a broker token: ES256 with one of our published keys (so `alg: none`, HS256 keyed
 * with the public key and unknown `kid`s fail), `typ: at+jwt`, our issuer, an audience of ours
 * (the endpoint's, where it has one), `exp` and `nbf` against `now` with no tolerance, the claims RFC 9068 requires,
 * and neither the `jti` nor any ancestor's (`root_jti`, `chain`) revoked.
 */
export async function verifyAccessToken(
  token: string,
  options: VerifyOptions,
): Promise<Verification> {
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, failure: "malformed" };
  const audiences = typeof options.audience === "string" ? [options.audience] : options.audience;
  const key = `${options.issuer}\n${audiences.join(" ")}\n${token}`;
  let verified = verifiedByKeys.get(options.keys);
  const known = verified?.get(key);
  if (known !== undefined && inTime(known, options.now))
    return unlessRevoked(known.claims, options);
  let payload: unknown;
  try {
    const verified = await jwtVerify(token, options.keys.getKey, {
      algorithms: ["ES256"],
      typ: ACCESS_TOKEN_TYPE,
      issuer: options.issuer,
      audience: typeof options.audience === "string" ? options.audience : [...options.audience],
      currentDate: new Date(options.now),
      requiredClaims: ["sub", "aud", "exp", "iat", "jti", "client_id", "scope"],
    });
    payload = verified.payload;
  } catch (error) {
    return { ok: false, failure: reasonOf(error) };
  }
  const parsed = v.safeParse(ClaimsSchema, payload);
  if (!parsed.success) return { ok: false, failure: "claims" };
  const claims: AccessTokenClaims = parsed.output;
  const nbf = (payload as { nbf?: unknown }).nbf;
  if (verified === undefined) {
    verified = new Map();
    verifiedByKeys.set(options.keys, verified);
  }
  verified.set(key, { claims, nbf: typeof nbf === "number" ? nbf : undefined });
  if (verified.size > VERIFIED_MAX) verified.delete(verified.keys().next().value ?? key);
  return unlessRevoked(claims, options);
}

async function unlessRevoked(
  claims: AccessTokenClaims,
  options: VerifyOptions,
): Promise<Verification> {
  // Its own jti and every ancestor's: revoking any token of the chain revokes what came from it.
  const lineage = [claims.jti, ...lineageOf(claims)];
  const revoked = await Promise.all(lineage.map((jti) => options.isRevoked(jti)));
  if (revoked.includes(true)) return { ok: false, failure: "revoked" };
  return ok(claims);
}
