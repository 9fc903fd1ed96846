/**
 * The valibot schema of the broker's vars and secrets. Our own messages start with "must ", so
 * a problem is reported by what the field must be — never by its value, which may be a secret.
 */
import * as v from "valibot";
import { serviceUrlProblem } from "../../src/index.ts";
import { DEFAULT_RATE_LIMIT, MAX_LIFETIME_SECONDS } from "../oauth/client-policy.ts";
import { SCOPES } from "../oauth/scopes.ts";

/** Custom messages start with this, so they can be told from valibot's (which quote the input). */
export const MUST = "must ";
function parsedUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** The library's rule for every service URL: https, or http on loopback; no credentials or query. */
function isServiceUrl(text: string): boolean {
  return serviceUrlProblem(text) === undefined;
}

/** Scheme, host and port and nothing else, as browsers send in `Origin`. */
function isOrigin(text: string): boolean {
  const url = parsedUrl(text);
  return (
    url !== undefined &&
    (url.protocol === "https:" || url.protocol === "http:") &&
    url.origin === text
  );
}

const ServiceUrl = v.pipe(
  v.string(),
  v.check(isServiceUrl, `${MUST}be an https URL (http only on loopback) without query or fragment`),
  v.transform((text) => text.replace(/\/+$/, "")),
);

const Issuer = v.pipe(
  v.string(),
  v.check(
    (text) => isServiceUrl(text) && new URL(text).origin === text.replace(/\/$/, ""),
    `${MUST}be an https origin such as https://auth.example.com (no path)`,
  ),
  v.transform((text) => text.replace(/\/$/, "")),
);

const Audience = v.pipe(
  v.string(),
  v.regex(/^[\x21-\x7e]{1,200}$/, `${MUST}be 1–200 visible ASCII characters without spaces`),
);

const Environment = v.picklist(["sandbox", "production"], `${MUST}be "sandbox" or "production"`);

const Credential = v.pipe(v.string(), v.maxLength(4096, `${MUST}be at most 4096 characters`));

/** A count from a var: a number, or a string of digits. */
function wholeNumber(min: number, max: number, unit: string) {
  return v.pipe(
    v.union([v.number(), v.pipe(v.string(), v.regex(/^\d{1,12}$/, `${MUST}be a whole number`))]),
    v.transform(Number),
    v.integer(`${MUST}be a whole number of ${unit}`),
    v.minValue(min, `${MUST}be at least ${min} ${unit}`),
    v.maxValue(max, `${MUST}be at most ${max} ${unit}`),
  );
}

const ClientSchema = v.strictObject({
  id: v.pipe(
    v.string(),
    v.regex(/^[A-Za-z0-9._~-]{1,64}$/, `${MUST}be 1–64 letters, digits, ".", "_", "~" or "-"`),
  ),
  secretHash: v.pipe(
    v.string(),
    v.regex(
      /^sha256:[A-Za-z0-9_-]{43}$/,
      `${MUST}be "sha256:" followed by the base64url SHA-256 of the secret (43 characters)`,
    ),
  ),
  scopes: v.array(v.picklist(SCOPES, `${MUST}be one of ${SCOPES.join(", ")}`)),
  audiences: v.pipe(
    v.array(Audience),
    v.minLength(1, `${MUST}list at least one audience (the first is the default)`),
  ),
  maxLifetime: wholeNumber(60, MAX_LIFETIME_SECONDS, "seconds"),
  origins: v.optional(
    v.array(
      v.pipe(
        v.string(),
        v.check(isOrigin, `${MUST}be an origin such as https://shop.example (no path, no "*")`),
      ),
    ),
    [],
  ),
  providerTokens: v.optional(v.boolean(), false),
  operator: v.optional(v.boolean(), false),
  rateLimit: v.optional(
    v.strictObject({
      requests: wholeNumber(1, 1_000_000, "requests"),
      windowSeconds: wholeNumber(1, 86_400, "seconds"),
    }),
    DEFAULT_RATE_LIMIT,
  ),
});

const Base64url = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]+$/, `${MUST}be base64url`));

const SigningJwkSchema = v.object({
  kty: v.literal("EC", `${MUST}be "EC" (the broker signs ES256)`),
  crv: v.literal("P-256", `${MUST}be "P-256" (the broker signs ES256)`),
  x: Base64url,
  y: Base64url,
  d: Base64url,
  kid: v.pipe(
    v.string(),
    v.regex(/^[A-Za-z0-9._~-]{1,128}$/, `${MUST}be 1–128 letters, digits, ".", "_", "~" or "-"`),
  ),
  alg: v.optional(v.literal("ES256", `${MUST}be "ES256" when present`)),
});

export const EnvSchema = v.object({
  ISSUER: v.optional(Issuer),
  // The demo checkout page's stand-in backend: which client it issues page tokens for.
  DEMO_CLIENT_ID: v.optional(
    v.pipe(v.string(), v.regex(/^[A-Za-z0-9._~-]{1,128}$/, `${MUST}be a client id`)),
  ),
  BROKER_AUDIENCE: v.optional(Audience, "edgetoken"),
  BROKER_CLIENTS: v.array(ClientSchema),
  BROKER_SIGNING_KEYS: v.optional(
    v.pipe(v.array(SigningJwkSchema), v.minLength(1, `${MUST}hold at least one key`)),
  ),
  BROKER_KEY_ROTATION_SECONDS: v.optional(wholeNumber(60, 365 * 86_400, "seconds"), 86_400),
  TOKEN_ENCRYPTION_KEY: v.pipe(
    v.string(),
    v.minLength(32, `${MUST}be at least 32 characters of random secret`),
  ),
  IPOSPAYS_API_KEY: v.optional(Credential),
  IPOSPAYS_SECRET_KEY: v.optional(Credential),
  IPOSPAYS_ENVIRONMENT: v.optional(Environment, "sandbox"),
  IPOSPAYS_BASE_URL: v.optional(ServiceUrl),
  IPOSPAYS_API_BASE_URL: v.optional(ServiceUrl),
  PAYMENTSGATE_ACCOUNT_ID: v.optional(
    v.pipe(v.string(), v.uuid(`${MUST}be the service account's UUID`)),
  ),
  PAYMENTSGATE_PUBLIC_KEY: v.optional(Credential),
  PAYMENTSGATE_ENVIRONMENT: v.optional(Environment, "sandbox"),
  PAYMENTSGATE_BASE_URL: v.optional(ServiceUrl),
  PAPAYA_API_KEY: v.optional(Credential),
  PAPAYA_CLIENT_SECRET: v.optional(Credential),
  PAPAYA_ENVIRONMENT: v.optional(Environment, "sandbox"),
  PAPAYA_BASE_URL: v.optional(ServiceUrl),
  PAPAYA_API_BASE_URL: v.optional(ServiceUrl),
});

export type Env = v.InferOutput<typeof EnvSchema>;
