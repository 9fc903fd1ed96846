/**
 * Forged and spoiled broker tokens: the rows of the attack table (test/broker/attacks.test.ts,
 * docs/reliability/attacks.md). Each row makes its token in a world of its own, beside a live
 * `victim` token of client `shop`: a forged token carries the victim's `jti`, and the spoiled
 * ones are the victim itself, tampered — so an endpoint that took one for real would act on the
 * victim (revoke it, describe it), and the tests can see that it did not.
 */
import { base64url, exportSPKI, importJWK, SignJWT } from "jose";
import {
  forge,
  keyOf,
  newSigningKey,
  payloadOf,
  SHOP,
  type TestKey,
  type World,
} from "./broker.ts";

export const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
export const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

/** Where a jku/x5u header points: a host the broker must never fetch. */
export const ATTACKER_HOST = "attacker.example";

export function encodeJson(value: unknown): string {
  return base64url.encode(new TextEncoder().encode(JSON.stringify(value)));
}

function seconds(world: World): number {
  return Math.floor(world.clock.now() / 1000);
}

export interface AttackContext {
  world: World;
  /** A live token of `shop` that lives 900 s: the token an accepted forgery would act on. */
  victim: string;
}

/** Makes the token a row presents. */
export type Attack = (context: AttackContext) => Promise<string>;

/** The victim's claims, as a forgery copies them: same client, same jti. */
function victimClaims({ victim }: AttackContext): Record<string, unknown> {
  return payloadOf(victim);
}

/** A token with the victim's claims signed by `key` under `header` (`kid` is the key's own). */
function signedBy(
  context: AttackContext,
  key: TestKey,
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT(victimClaims(context))
    .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: key.kid, ...header })
    .sign(key.privateKey);
}

/** The broker's published key, as a client of its JWKS sees it. */
async function publishedJwk(world: World): Promise<Record<string, unknown>> {
  const jwks = await (await world.send("/.well-known/jwks.json")).json<{
    keys: Record<string, unknown>[];
  }>();
  const [first] = jwks.keys;
  if (first === undefined) throw new Error("the broker publishes no key");
  return first;
}

/** The attacker's public JWK, as an embedded `jwk` header or a `jku` document would carry it. */
function publicPart(key: TestKey): Record<string, unknown> {
  const { d: _private, ...publicJwk } = key.jwk;
  return publicJwk;
}

/**
 * ES256 over any header, by hand: jose will not sign a header it would not accept (an unknown
 * `crit`). WebCrypto's ECDSA signature is r‖s, the JWS form (RFC 7518 §3.4).
 */
async function signedRaw(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  key: TestKey,
): Promise<string> {
  const input = `${encodeJson(header)}.${encodeJson(claims)}`;
  const signature = await crypto.subtle.sign(
    { name: "ECDSA", hash: "SHA-256" },
    key.privateKey,
    new TextEncoder().encode(input),
  );
  return `${input}.${base64url.encode(new Uint8Array(signature))}`;
}

function hs256(context: AttackContext, secret: Uint8Array): Promise<string> {
  return new SignJWT(victimClaims(context))
    .setProtectedHeader({ alg: "HS256", typ: "at+jwt", kid: keyOf(context.world).kid })
    .sign(secret);
}

/** One base64url character of `part` changed, away from its ends (the last one may be padding bits). */
function flipOne(part: string): string {
  const index = Math.floor(part.length / 2);
  const replacement = part[index] === "A" ? "B" : "A";
  return part.slice(0, index) + replacement + part.slice(index + 1);
}

/** A genuine token exchanged by its holder (no credentials: the token is the credential). */
export async function exchangedFrom(world: World, subject: string): Promise<string> {
  const response = await world.post("/oauth/token", undefined, {
    grant_type: TOKEN_EXCHANGE,
    subject_token: subject,
    subject_token_type: ACCESS_TOKEN_TYPE,
    scope: "ipospays:PaymentTokenization",
  });
  if (response.status !== 200) throw new Error(`exchange failed: ${response.status}`);
  return (await response.json<{ access_token: string }>()).access_token;
}

/**
 * Every row: what RFC 8725 (JWT BCP), RFC 9068 (JWT access tokens) and RFC 7515/7519 say a
 * verifier must refuse, and the broker's own revocation rules.
 */
export const ATTACKS: Readonly<Record<string, Attack>> = {
  // RFC 8725 §2.1, §3.1: the algorithm is the verifier's choice, never the token's.
  "alg: none": async (context) => {
    const header = { alg: "none", typ: "at+jwt", kid: keyOf(context.world).kid };
    return `${encodeJson(header)}.${encodeJson(victimClaims(context))}.`;
  },
  "alg: none, the victim's signature kept": async ({ victim, world }) => {
    const [, payload, signature] = victim.split(".");
    return `${encodeJson({ alg: "none", typ: "at+jwt", kid: keyOf(world).kid })}.${payload}.${signature}`;
  },
  // RFC 8725 §2.1: a public key used as an HMAC secret.
  "HS256 keyed with the broker's public JWK": async (context) =>
    hs256(context, new TextEncoder().encode(JSON.stringify(await publishedJwk(context.world)))),
  "HS256 keyed with the broker's public key as PEM": async (context) => {
    const publicKey = await importJWK(await publishedJwk(context.world), "ES256");
    if (publicKey instanceof Uint8Array) throw new TypeError("not a public key");
    return hs256(context, new TextEncoder().encode(await exportSPKI(publicKey)));
  },
  // RFC 7515 §4.1.4: a kid is a hint for the verifier's own keys, nothing more.
  "kid pointing nowhere": async (context) =>
    forge(context.world, victimClaims(context), { kid: "no-such-key" }),
  "kid naming the attacker's key": async (context) => signedBy(context, await newSigningKey()),
  "kid as the attacker's URL": async (context) =>
    signedBy(context, await newSigningKey(), { kid: `https://${ATTACKER_HOST}/keys/1` }),
  // RFC 8725 §3.10, RFC 7515 §4.1.2, §4.1.3, §4.1.5: keys named by the token are never fetched
  // or trusted. The broker's own kid, so a verifier that took the token's key would match it.
  "jku: the attacker's key set": async (context) =>
    signedBy(context, await newSigningKey(), {
      kid: keyOf(context.world).kid,
      jku: `https://${ATTACKER_HOST}/.well-known/jwks.json`,
    }),
  "x5u: the attacker's certificate": async (context) =>
    signedBy(context, await newSigningKey(), {
      kid: keyOf(context.world).kid,
      x5u: `https://${ATTACKER_HOST}/cert.pem`,
    }),
  "jwk: the attacker's key embedded": async (context) => {
    const attacker = await newSigningKey();
    return signedBy(context, attacker, {
      kid: keyOf(context.world).kid,
      jwk: { ...publicPart(attacker), kid: keyOf(context.world).kid },
    });
  },
  // RFC 7515 §4.1.11: an extension the verifier does not know must be refused.
  "crit: an unknown extension": async (context) => {
    const header = { alg: "ES256", typ: "at+jwt", kid: keyOf(context.world).kid };
    return signedRaw(
      { ...header, crit: ["x-attacker"], "x-attacker": true },
      victimClaims(context),
      keyOf(context.world),
    );
  },
  // RFC 7519 §4.1.4, §4.1.5, RFC 9068 §4 (no leeway: the broker signs and verifies on one clock).
  expired: async (context) =>
    forge(context.world, {
      ...victimClaims(context),
      iat: seconds(context.world) - 400,
      exp: seconds(context.world) - 100,
    }),
  "expired this very second (exp = now)": async ({ world }) => {
    const { access_token } = await world.token(SHOP, { expires_in: "60" });
    world.clock.advance(60_000);
    return access_token;
  },
  "nbf in the future": async (context) =>
    forge(context.world, { ...victimClaims(context), nbf: seconds(context.world) + 60 }),
  // RFC 9068 §4, RFC 8725 §3.8, §3.9.
  "wrong iss": async (context) =>
    forge(context.world, { ...victimClaims(context), iss: "https://evil.example" }),
  "wrong aud (no audience of this broker)": async (context) =>
    forge(context.world, { ...victimClaims(context), aud: "https://evil.example" }),
  // RFC 9068 §2.1, §4, RFC 8725 §3.11: explicit typing.
  "wrong typ (JWT, not at+jwt)": async (context) =>
    forge(context.world, victimClaims(context), { typ: "JWT" }),
  "no typ": async (context) => {
    const claims = victimClaims(context);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", kid: keyOf(context.world).kid })
      .sign(keyOf(context.world).privateKey);
  },
  // RFC 9068 §2.2: jti is required (the broker revokes by it).
  "no jti": async (context) => forge(context.world, { ...victimClaims(context), jti: undefined }),
  // RFC 7515 §5.2: the signature covers header and payload.
  "tampered payload (scope widened)": async ({ world }) => {
    const narrow = (await world.token(SHOP, { scope: "papaya:payments" })).access_token;
    const [header, payload = "", signature] = narrow.split(".");
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload)));
    return `${header}.${encodeJson({ ...claims, scope: SHOP.scopes.join(" ") })}.${signature}`;
  },
  "tampered payload (the victim's, another client)": async ({ victim }) => {
    const [header, , signature] = victim.split(".");
    const claims = { ...payloadOf(victim), client_id: "payroll", sub: "payroll" };
    return `${header}.${encodeJson(claims)}.${signature}`;
  },
  "tampered signature": async ({ victim }) => {
    const [header, payload, signature = ""] = victim.split(".");
    return `${header}.${payload}.${flipOne(signature)}`;
  },
  "signature cut off": async ({ victim }) => victim.split(".").slice(0, 2).join("."),
  // RFC 7009 §2.2 and the broker's revocation: a revoked token, or one exchanged from one.
  "revoked jti": async ({ world }) => {
    const { access_token } = await world.token(SHOP);
    const revoked = await world.post("/oauth/revoke", SHOP, { token: access_token });
    if (revoked.status !== 200) throw new Error(`revocation failed: ${revoked.status}`);
    return access_token;
  },
  "revoked ancestor (token → exchanged → exchanged, the middle one revoked)": async ({ world }) => {
    const root = (await world.token(SHOP)).access_token;
    const middle = await exchangedFrom(world, root);
    const last = await exchangedFrom(world, middle);
    const revoked = await world.post("/oauth/revoke", SHOP, { token: middle });
    if (revoked.status !== 200) throw new Error(`revocation failed: ${revoked.status}`);
    return last;
  },
  // RFC 8725 §3.1: the key is the verifier's; a key of another deployment under our kid.
  "another deployment's key, same kid": async (context) => {
    const other = await newSigningKey();
    return signedBy(context, { ...other, kid: keyOf(context.world).kid });
  },
  "not a JWT at all": async () => "not.a.jwt",
};

/** The baseline: tokens each endpoint must take, so every row above fails for its own reason. */
export const GENUINE: Readonly<Record<string, Attack>> = {
  "issued by client_credentials": async ({ victim }) => victim,
  "forged with the broker's own key, nothing broken": async (context) =>
    forge(context.world, victimClaims(context)),
  "typ application/at+jwt (RFC 9068 §4: the full media type)": async (context) =>
    forge(context.world, victimClaims(context), { typ: "application/at+jwt" }),
  "exchanged, its root alive": async ({ world, victim }) =>
    exchangedFrom(world, await exchangedFrom(world, victim)),
};
