/**
 * The broker's ES256 signing keys and the public set it publishes.
 *
 * - Production: the `BROKER_SIGNING_KEYS` secret, a JSON array of private JWKs. The first signs;
 *   every one is published. To rotate, add the new key second, wait for JWKS caches to pick it
 *   up, move it first, and drop the old one once its last token has expired (15 minutes).
 * - Development (no secret): a key generated on first use and kept, encrypted, in KV so restarts
 *   keep it. After `BROKER_KEY_ROTATION_SECONDS` a new key takes over; the old one stays
 *   published until every token it can have signed has expired, then it is dropped.
 */
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  type JWTVerifyGetKey,
} from "jose";

import * as v from "valibot";
import type { KvNamespaceLike } from "../../src/index.ts";
import type { ConfigProblem, PrivateSigningJwk } from "../config/config.ts";
import { MAX_LIFETIME_SECONDS } from "../oauth/client-policy.ts";
import { ok, type Result } from "../oauth/failure.ts";

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
}

/** The key that signs now, and every public key a live token can have been signed with. */
export interface KeySet {
  signing: SigningKey;
  /** The public JWKs, the signing key's first: what `/.well-known/jwks.json` serves. */
  jwks: JSONWebKeySet;
  /** Finds the verification key for a token's header in {@link jwks}. */
  getKey: JWTVerifyGetKey;
}

export interface KeySource {
  current(now: number): Promise<KeySet>;
}

/** A retired key is published this long after its last signature: the longest token, plus skew. */
export const PUBLISH_AFTER_RETIREMENT_MS = (MAX_LIFETIME_SECONDS + 60) * 1000;
/** Development keys are re-read from KV this often, so another isolate's rotation is seen. */
const RELOAD_MS = 60_000;
const RING_NAME = "edgetoken:broker:v1:signing-keys";

function publicJwk(jwk: PrivateSigningJwk): JWK {
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid: jwk.kid, alg: "ES256", use: "sig" };
}

async function importPrivate(jwk: PrivateSigningJwk): Promise<CryptoKey> {
  const key = await importJWK({ ...jwk, alg: "ES256" }, "ES256");
  if (key instanceof Uint8Array) throw new TypeError("not an asymmetric key");
  return key;
}

/** Signs and verifies a probe, so a private half that does not match its `x`/`y` is caught. */
async function matches(privateKey: CryptoKey, jwk: PrivateSigningJwk): Promise<boolean> {
  const publicKey = await importJWK(publicJwk(jwk), "ES256");
  if (publicKey instanceof Uint8Array) return false;
  const probe = new TextEncoder().encode("edgetoken signing key probe");
  const algorithm = { name: "ECDSA", hash: "SHA-256" };
  const signature = await crypto.subtle.sign(algorithm, privateKey, probe);
  return crypto.subtle.verify(algorithm, publicKey, signature, probe);
}

function keySet(signing: SigningKey, published: readonly PrivateSigningJwk[]): KeySet {
  const jwks = { keys: published.map(publicJwk) };
  return { signing, jwks, getKey: createLocalJWKSet(jwks) };
}

/** What `importSigningKeys`' failure means, as the broker and `edgetoken check-config` say it. */
export function unusableSigningKey(index: number): ConfigProblem {
  return {
    field: `BROKER_SIGNING_KEYS[${index}]`,
    problem: "must be a P-256 private key whose d matches x and y",
  };
}

/**
 * Imports the production keys; the failure is the index of the first that is not a usable P-256
 * private key.
 */
export async function importSigningKeys(
  jwks: readonly PrivateSigningJwk[],
): Promise<Result<KeySet, number>> {
  const imported: CryptoKey[] = [];
  for (const [index, jwk] of jwks.entries()) {
    try {
      const key = await importPrivate(jwk);
      if (!(await matches(key, jwk))) return { ok: false, failure: index };
      imported.push(key);
    } catch {
      return { ok: false, failure: index };
    }
  }
  const [first] = jwks;
  const [privateKey] = imported;
  if (first === undefined || privateKey === undefined) return { ok: false, failure: 0 };
  return ok(keySet({ kid: first.kid, privateKey }, jwks));
}

/** Keys that never change while the Worker runs. */
export function staticKeySource(keys: KeySet): KeySource {
  return { current: async () => keys };
}

/** One development key as kept in KV: the first of the ring signs. */
export interface StoredKey {
  jwk: PrivateSigningJwk;
  createdAt: number;
  retiredAt?: number | undefined;
}

export interface KeyRing {
  keys: readonly StoredKey[];
}

const RingSchema = v.object({
  keys: v.array(
    v.object({
      jwk: v.object({
        kty: v.literal("EC"),
        crv: v.literal("P-256"),
        x: v.string(),
        y: v.string(),
        d: v.string(),
        kid: v.string(),
      }),
      createdAt: v.number(),
      retiredAt: v.optional(v.number()),
    }),
  ),
});

/** Whether the signing key is missing or older than the rotation age. */
export function needsRotation(ring: KeyRing, now: number, rotationMs: number): boolean {
  const current = ring.keys[0];
  return current === undefined || now >= current.createdAt + rotationMs;
}

/** The new key first; the one it replaces is retired now. */
export function rotate(ring: KeyRing, fresh: StoredKey, now: number): KeyRing {
  const [current, ...older] = ring.keys;
  const retired = current === undefined ? [] : [{ ...current, retiredAt: now }];
  return { keys: [fresh, ...retired, ...older] };
}

/** Drops retired keys whose last possible token has expired. */
export function prune(ring: KeyRing, now: number): KeyRing {
  return {
    keys: ring.keys.filter(
      (key) => key.retiredAt === undefined || now < key.retiredAt + PUBLISH_AFTER_RETIREMENT_MS,
    ),
  };
}

/**
 * A new P-256 private JWK whose `kid` is its RFC 7638 thumbprint: what a development key is, and
 * what `edgetoken signing-key` prints for `BROKER_SIGNING_KEYS`.
 */
export async function generateSigningJwk(): Promise<PrivateSigningJwk> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const { x, y, d } = await exportJWK(privateKey);
  if (x === undefined || y === undefined || d === undefined) {
    throw new TypeError("the generated key did not export");
  }
  const kid = await calculateJwkThumbprint({ kty: "EC", crv: "P-256", x, y });
  return { kty: "EC", crv: "P-256", x, y, d, kid };
}

async function generateKey(now: number): Promise<StoredKey> {
  return { jwk: await generateSigningJwk(), createdAt: now };
}

function readRing(text: string | null): KeyRing | undefined {
  if (text === null) return undefined;
  try {
    const parsed = v.safeParse(RingSchema, JSON.parse(text));
    return parsed.success ? parsed.output : undefined;
  } catch {
    return undefined;
  }
}

/** The ring whose signing key is the newer of two: what KV says, or what this isolate decided. */
function newer(stored: KeyRing, decided: KeyRing | undefined): KeyRing {
  const mine = decided?.keys[0]?.createdAt ?? -1;
  const theirs = stored.keys[0]?.createdAt ?? -1;
  return decided !== undefined && mine > theirs ? decided : stored;
}

/**
 * Development keys kept in `kv` (wrap it with `createEncryptedKv`: the value is a private key).
 * KV has no compare-and-swap, so two isolates starting at once may each generate a key; this is
 * for `wrangler dev` and previews, and production sets `BROKER_SIGNING_KEYS`.
 *
 * Nothing here is a promise shared between requests: in workerd a request may not touch I/O
 * another request started, and a request that waits on another's promise hangs when that one is
 * cancelled. Each request that finds no fresh keys reads KV itself; what requests share is plain
 * data — the ring this isolate settled on, the imported `CryptoKey`s — set synchronously once a
 * request has it, so concurrent cold requests all sign with the one key the first of them made.
 */
export function devKeySource(
  kv: KvNamespaceLike,
  options: { rotationSeconds: number; log: (message: string) => void },
): KeySource {
  const rotationMs = options.rotationSeconds * 1000;
  const imported = new Map<string, CryptoKey>();
  /** The ring this isolate settled on last (plain data), and when KV was read for it. */
  let decided: { ring: KeyRing; readAt: number } | undefined;
  let cached: { ring: KeyRing; keys: KeySet; readAt: number } | undefined;

  const fresh = (now: number): boolean =>
    cached !== undefined &&
    now >= cached.readAt &&
    now - cached.readAt < RELOAD_MS &&
    !needsRotation(cached.ring, now, rotationMs) &&
    prune(cached.ring, now).keys.length === cached.ring.keys.length;

  async function load(now: number): Promise<KeySet> {
    const stored = readRing(await kv.get(RING_NAME, "text")) ?? { keys: [] };
    let ring = newer(stored, decided?.ring);
    const before = ring.keys.length;
    let changed = false;
    if (needsRotation(ring, now, rotationMs)) {
      const generated = await generateKey(now);
      // Another request of this isolate may have settled on a new key meanwhile: take it.
      const meanwhile = decided?.ring;
      if (meanwhile !== undefined && !needsRotation(meanwhile, now, rotationMs)) {
        ring = meanwhile;
      } else {
        ring = rotate(ring, generated, now);
        changed = true;
        options.log(
          before === 0
            ? "no BROKER_SIGNING_KEYS: generated a development signing key, kept in KV"
            : "rotated the development signing key",
        );
      }
    }
    const pruned = prune(ring, now);
    decided = { ring: pruned, readAt: now };
    if (changed || pruned.keys.length !== ring.keys.length) {
      await kv.put(RING_NAME, JSON.stringify(pruned));
    }
    const [current] = pruned.keys;
    if (current === undefined) throw new Error("the key ring is empty after rotation");
    let privateKey = imported.get(current.jwk.kid);
    if (privateKey === undefined) {
      privateKey = await importPrivate(current.jwk);
      imported.set(current.jwk.kid, privateKey);
    }
    const keys = keySet(
      { kid: current.jwk.kid, privateKey },
      pruned.keys.map((key) => key.jwk),
    );
    // A slower request that read an older ring must not replace a newer one.
    const newest = cached?.ring.keys[0]?.createdAt ?? -1;
    if (cached === undefined || current.createdAt >= newest) {
      cached = { ring: pruned, keys, readAt: now };
    }
    return cached?.keys ?? keys;
  }

  return {
    async current(now: number): Promise<KeySet> {
      if (cached !== undefined && fresh(now)) return cached.keys;
      return load(now);
    },
  };
}
