import {
  compactVerify,
  exportJWK,
  type GenerateKeyPairResult,
  generateKeyPair,
  type JSONWebKeySet,
  type JWTHeaderParameters,
  type JWTPayload,
  SignJWT,
} from "jose";

/** The key id the public key is published under; Papaya tokens name it in their header. */
export const KEY_ID = "APIKEY0";

/** The emulator's RS256 key pair: one per emulator, made on first use, never exported private. */
export interface SigningKey {
  sign(header: JWTHeaderParameters, claims: JWTPayload): Promise<string>;
  /** Whether `token` is an RS256 JWS made with this key. */
  verify(token: string): Promise<boolean>;
  /** The public key as a JWK set, so tests (and users) can check signatures with any JWT library. */
  jwks(): Promise<JSONWebKeySet>;
}

/** A new {@link SigningKey}. Generating the pair waits until it is first needed. */
export function createSigningKey(): SigningKey {
  // Lazily: Workers forbid crypto at module scope, where the worker builds its emulator.
  let pair: Promise<GenerateKeyPairResult> | undefined;
  const keys = (): Promise<GenerateKeyPairResult> => {
    pair ??= generateKeyPair("RS256", { modulusLength: 2048 }).catch((error: unknown) => {
      pair = undefined;
      throw error;
    });
    return pair;
  };
  return {
    async sign(header, claims) {
      const { privateKey } = await keys();
      return new SignJWT(claims).setProtectedHeader(header).sign(privateKey);
    },
    async verify(token) {
      const { publicKey } = await keys();
      try {
        await compactVerify(token, publicKey, { algorithms: ["RS256"] });
        return true;
      } catch {
        return false;
      }
    },
    async jwks() {
      const { publicKey } = await keys();
      const jwk = await exportJWK(publicKey);
      return { keys: [{ ...jwk, kid: KEY_ID, alg: "RS256", use: "sig" }] };
    },
  };
}
