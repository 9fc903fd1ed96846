/**
 * The broker's configuration: Worker vars and secrets, checked once with valibot. A bad field
 * is reported by its path (`BROKER_CLIENTS[0].maxLifetime`) and what it must be — never by its
 * value, which may be a secret.
 */
import * as v from "valibot";
import { type BrokerScope, SCOPES } from "../oauth/scopes.ts";

/** The longest a broker token may live, whatever a client's policy says (issue 5). */
export const MAX_LIFETIME_SECONDS = 900;

/** A client of the broker and what it may have. */
export interface ClientPolicy {
  id: string;
  /** `sha256:` + base64url of the secret's SHA-256. */
  secretHash: string;
  scopes: readonly BrokerScope[];
  /** The first is the default when a request names no `resource`. */
  audiences: readonly [string, ...string[]];
  maxLifetime: number;
  /** Browser origins that may use this client's tokens at the proxy. */
  origins: readonly string[];
  /** Whether it may have the providers' own tokens (`POST /provider-token`). */
  providerTokens: boolean;
  rateLimit: { requests: number; windowSeconds: number };
}

/** A P-256 private key as a JWK, with the `kid` it is published under. */
export interface PrivateSigningJwk {
  kty: "EC";
  crv: "P-256";
  x: string;
  y: string;
  d: string;
  kid: string;
}

export interface IposPaysSettings {
  apiKey: string;
  secretKey: string;
  environment: "sandbox" | "production";
  baseUrl: string | undefined;
  /** Where Transact lives (`payment.ipospays.*`), not the auth host. */
  apiBaseUrl: string;
}

export interface PaymentsGateSettings {
  accountId: string;
  publicKey: string;
  environment: "sandbox" | "production";
  baseUrl: string | undefined;
  apiBaseUrl: string;
}

export interface PapayaSettings {
  apiKey: string;
  clientSecret: string;
  environment: "sandbox" | "production";
  baseUrl: string | undefined;
  /** Undefined when neither PAPAYA_API_BASE_URL nor PAPAYA_BASE_URL is set: no proxy then. */
  apiBaseUrl: string | undefined;
}

export interface ProviderSettings {
  ipospays?: IposPaysSettings;
  paymentsgate?: PaymentsGateSettings;
  papaya?: PapayaSettings;
}

export interface BrokerConfig {
  /**
   * Undefined: each request's own origin is the issuer (development keys only; with
   * `BROKER_SIGNING_KEYS` the configuration requires it).
   */
  issuer: string | undefined;
  /** When set, `POST /demo/token` issues page tokens for this client (the demo's backend). */
  demoClientId: string | undefined;
  /** The audience the broker's own proxy and provider-token endpoint accept. */
  audience: string;
  clients: ReadonlyMap<string, ClientPolicy>;
  /** From the BROKER_SIGNING_KEYS secret; undefined means development keys kept in KV. */
  signingKeys: readonly PrivateSigningJwk[] | undefined;
  /** How old a development signing key gets before a new one replaces it. */
  keyRotationSeconds: number;
  encryptionKey: string;
  providers: ProviderSettings;
  /** Every client's origins together: what a CORS preflight (which has no token) is checked against. */
  allOrigins: ReadonlySet<string>;
}

/** Where the configuration is wrong and what it must be. */
export interface ConfigProblem {
  field: string;
  problem: string;
}

export type ConfigResult =
  | { ok: true; config: BrokerConfig }
  | { ok: false; problem: ConfigProblem };

/** Custom messages start with this, so they can be told from valibot's (which quote the input). */
const MUST = "must ";
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);
/** A client's rate limit when its policy names none. */
export const DEFAULT_RATE_LIMIT = { requests: 300, windowSeconds: 60 };

function parsedUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** https anywhere, http on loopback (the emulator); no credentials, query or fragment. */
function isServiceUrl(text: string): boolean {
  const url = parsedUrl(text);
  if (url === undefined || url.username !== "" || url.password !== "") return false;
  if (url.search !== "" || url.hash !== "") return false;
  return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK.has(url.hostname));
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

const EnvSchema = v.object({
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

type Env = v.InferOutput<typeof EnvSchema>;

/** Vars that hold JSON: a string (a secret, `wrangler.toml`) or, from a TOML table, the value itself. */
const JSON_VARS = ["BROKER_CLIENTS", "BROKER_SIGNING_KEYS"] as const;

const FIELDS = Object.keys(EnvSchema.entries);

/** The broker's vars, with JSON decoded and empty strings read as unset. */
function readVars(
  env: object,
): { ok: true; vars: Record<string, unknown> } | { ok: false; problem: ConfigProblem } {
  const source = env as Record<string, unknown>;
  const vars: Record<string, unknown> = {};
  for (const field of FIELDS) {
    const value = source[field];
    if (value !== undefined && value !== "") vars[field] = value;
  }
  for (const field of JSON_VARS) {
    const value = vars[field];
    if (typeof value !== "string") continue;
    try {
      vars[field] = JSON.parse(value);
    } catch {
      return { ok: false, problem: { field, problem: `${MUST}be JSON` } };
    }
  }
  return { ok: true, vars };
}

function pathOf(issue: v.BaseIssue<unknown>): string {
  let path = "";
  for (const item of issue.path ?? []) {
    const key = item.key;
    path += typeof key === "number" ? `[${key}]` : path === "" ? String(key) : `.${String(key)}`;
  }
  return path || "(root)";
}

/** What the field must be, from our own message or the schema — never from the input. */
function describe(issue: v.BaseIssue<unknown>): string {
  if (issue.message.startsWith(MUST)) return issue.message;
  if (issue.received === "undefined") return "is missing";
  if (issue.expected === "never") return "is not a known field";
  return `${MUST}be ${issue.expected ?? "valid"}`;
}

function duplicate(values: readonly string[]): number {
  return values.findIndex((value, index) => values.indexOf(value) !== index);
}

/** Two halves of a credential: both or neither. */
function pair(env: Env, first: keyof Env, second: keyof Env): ConfigProblem | undefined {
  if (env[first] !== undefined && env[second] === undefined) {
    return { field: second, problem: `${MUST}be set when ${first} is` };
  }
  if (env[second] !== undefined && env[first] === undefined) {
    return { field: first, problem: `${MUST}be set when ${second} is` };
  }
  return undefined;
}

/** Production hosts that are not published must be given. */
function hostFor(
  environment: "sandbox" | "production",
  field: string,
  given: string | undefined,
): ConfigProblem | undefined {
  if (environment === "production" && given === undefined) {
    return { field, problem: `${MUST}be set for production (no production host is published)` };
  }
  return undefined;
}

function crossChecks(env: Env): ConfigProblem | undefined {
  const ids = env.BROKER_CLIENTS.map((client) => client.id);
  const sameId = duplicate(ids);
  if (sameId >= 0) return { field: `BROKER_CLIENTS[${sameId}].id`, problem: `${MUST}be unique` };
  if (env.DEMO_CLIENT_ID !== undefined && !ids.includes(env.DEMO_CLIENT_ID)) {
    return { field: "DEMO_CLIENT_ID", problem: `${MUST}name a client in BROKER_CLIENTS` };
  }
  // Production keys sign tokens that are trusted elsewhere: their `iss` must be configured, not
  // read from each request's Host header. (Development keys may go without, as `npm start` does.)
  if (env.BROKER_SIGNING_KEYS !== undefined && env.ISSUER === undefined) {
    return {
      field: "ISSUER",
      problem: `${MUST}be set when BROKER_SIGNING_KEYS is (otherwise each request's Host header would name the issuer)`,
    };
  }
  const kids = (env.BROKER_SIGNING_KEYS ?? []).map((key) => key.kid);
  const sameKid = duplicate(kids);
  if (sameKid >= 0) {
    return { field: `BROKER_SIGNING_KEYS[${sameKid}].kid`, problem: `${MUST}be unique` };
  }
  return (
    pair(env, "IPOSPAYS_API_KEY", "IPOSPAYS_SECRET_KEY") ??
    pair(env, "PAYMENTSGATE_ACCOUNT_ID", "PAYMENTSGATE_PUBLIC_KEY") ??
    pair(env, "PAPAYA_API_KEY", "PAPAYA_CLIENT_SECRET") ??
    (env.PAYMENTSGATE_ACCOUNT_ID === undefined
      ? undefined
      : hostFor(
          env.PAYMENTSGATE_ENVIRONMENT,
          "PAYMENTSGATE_BASE_URL",
          env.PAYMENTSGATE_BASE_URL,
        )) ??
    (env.PAPAYA_API_KEY === undefined
      ? undefined
      : hostFor(env.PAPAYA_ENVIRONMENT, "PAPAYA_BASE_URL", env.PAPAYA_BASE_URL))
  );
}

const IPOSPAYS_API_HOSTS = {
  sandbox: "https://payment.ipospays.tech",
  production: "https://payment.ipospays.com",
};
const PAYMENTSGATE_SANDBOX = "https://secure.sandbox.paymentsgate.io";

function providers(env: Env): ProviderSettings {
  const settings: ProviderSettings = {};
  if (env.IPOSPAYS_API_KEY !== undefined && env.IPOSPAYS_SECRET_KEY !== undefined) {
    settings.ipospays = {
      apiKey: env.IPOSPAYS_API_KEY,
      secretKey: env.IPOSPAYS_SECRET_KEY,
      environment: env.IPOSPAYS_ENVIRONMENT,
      baseUrl: env.IPOSPAYS_BASE_URL,
      apiBaseUrl:
        env.IPOSPAYS_API_BASE_URL ??
        env.IPOSPAYS_BASE_URL ??
        IPOSPAYS_API_HOSTS[env.IPOSPAYS_ENVIRONMENT],
    };
  }
  if (env.PAYMENTSGATE_ACCOUNT_ID !== undefined && env.PAYMENTSGATE_PUBLIC_KEY !== undefined) {
    settings.paymentsgate = {
      accountId: env.PAYMENTSGATE_ACCOUNT_ID,
      publicKey: env.PAYMENTSGATE_PUBLIC_KEY,
      environment: env.PAYMENTSGATE_ENVIRONMENT,
      baseUrl: env.PAYMENTSGATE_BASE_URL,
      apiBaseUrl: env.PAYMENTSGATE_BASE_URL ?? PAYMENTSGATE_SANDBOX,
    };
  }
  if (env.PAPAYA_API_KEY !== undefined && env.PAPAYA_CLIENT_SECRET !== undefined) {
    settings.papaya = {
      apiKey: env.PAPAYA_API_KEY,
      clientSecret: env.PAPAYA_CLIENT_SECRET,
      environment: env.PAPAYA_ENVIRONMENT,
      baseUrl: env.PAPAYA_BASE_URL,
      apiBaseUrl: env.PAPAYA_API_BASE_URL ?? env.PAPAYA_BASE_URL,
    };
  }
  return settings;
}

function toPolicy(client: Env["BROKER_CLIENTS"][number]): ClientPolicy {
  const [first, ...rest] = client.audiences as [string, ...string[]];
  return {
    ...client,
    scopes: [...new Set(client.scopes)],
    audiences: [first, ...rest],
    origins: [...new Set(client.origins)],
  };
}

/**
 * Reads the broker's configuration from the Worker's env: vars, secrets, nothing else.
 *
 * @example
 * const result = parseBrokerConfig(env);
 * if (!result.ok) console.error(`configuration: ${result.problem.field} ${result.problem.problem}`);
 */
export function parseBrokerConfig(env: object): ConfigResult {
  const read = readVars(env);
  if (!read.ok) return read;
  const parsed = v.safeParse(EnvSchema, read.vars);
  if (!parsed.success) {
    const [issue] = parsed.issues;
    return { ok: false, problem: { field: pathOf(issue), problem: describe(issue) } };
  }
  const vars = parsed.output;
  const problem = crossChecks(vars);
  if (problem !== undefined) return { ok: false, problem };
  const clients = vars.BROKER_CLIENTS.map(toPolicy);
  return {
    ok: true,
    config: {
      issuer: vars.ISSUER,
      demoClientId: vars.DEMO_CLIENT_ID,
      audience: vars.BROKER_AUDIENCE,
      clients: new Map(clients.map((client) => [client.id, client])),
      signingKeys: vars.BROKER_SIGNING_KEYS?.map(({ kty, crv, x, y, d, kid }) => ({
        kty,
        crv,
        x,
        y,
        d,
        kid,
      })),
      keyRotationSeconds: vars.BROKER_KEY_ROTATION_SECONDS,
      encryptionKey: vars.TOKEN_ENCRYPTION_KEY,
      providers: providers(vars),
      allOrigins: new Set(clients.flatMap((client) => client.origins)),
    },
  };
}

/** The problem as one line: `BROKER_CLIENTS[0].maxLifetime must be at most 900 seconds`. */
export function describeProblem(problem: ConfigProblem): string {
  return `${problem.field} ${problem.problem}`;
}
