import {
  compactVerify,
  exportJWK,
  type GenerateKeyPairResult,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWTHeaderParameters,
  type JWTPayload,
  SignJWT,
} from "jose";
import { type EmulatorStorage, KEY_PAIR, type StoredKeyPair } from "./persistence.ts";

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

/** The pair `storage` kept, or a new one, kept there before it signs anything. */
async function keptPair(storage: EmulatorStorage): Promise<GenerateKeyPairResult> {
  const kept = await storage.get<StoredKeyPair>(KEY_PAIR);
  if (kept !== undefined) {
    try {
      const [privateKey, publicKey] = await Promise.all([
        importJWK(kept.privateKey, "RS256"),
        importJWK(kept.publicKey, "RS256"),
      ]);
      if (privateKey instanceof CryptoKey && publicKey instanceof CryptoKey) {
        return { privateKey, publicKey };
      }
    } catch {
      // Not a key any more: make a new one (tokens signed with the old one are refused).
    }
  }
  const pair = await generateKeyPair("RS256", { modulusLength: 2048, extractable: true });
  const [privateKey, publicKey] = await Promise.all([
    exportJWK(pair.privateKey),
    exportJWK(pair.publicKey),
  ]);
  await storage.put(KEY_PAIR, { privateKey, publicKey } satisfies StoredKeyPair);
  return pair;
}

/**
 * A new {@link SigningKey}. Generating the pair waits until it is first needed. With `storage`
 * the pair is the one kept there (made and kept on first use), so it outlives a restart.
 */
export function createSigningKey(storage?: EmulatorStorage): SigningKey {
  // Lazily: Workers forbid crypto at module scope, where the worker builds its emulator.
  let pair: Promise<GenerateKeyPairResult> | undefined;
  const keys = (): Promise<GenerateKeyPairResult> => {
    pair ??= (
      storage === undefined ? generateKeyPair("RS256", { modulusLength: 2048 }) : keptPair(storage)
    ).catch((error: unknown) => {
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
