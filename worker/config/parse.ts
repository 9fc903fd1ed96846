/**
 * The broker's configuration from the Worker's vars and secrets, checked once with valibot. A bad field
 * is reported by its path (`BROKER_CLIENTS[0].maxLifetime`) and what it must be — never by its
 * value, which may be a secret.
 */
import * as v from "valibot";
import {
  IPOSPAYS_HOSTS,
  PAPAYA_HOSTS,
  PAYMENTSGATE_HOSTS,
  type PublishedHosts,
} from "../../src/index.ts";
import type { ClientPolicy } from "../oauth/client-policy.ts";
import { ok, type Result } from "../oauth/failure.ts";
import type { BrokerConfig, ConfigProblem, ProviderSettings } from "./config.ts";
import { type Env, EnvSchema, MUST } from "./schema.ts";

/** The configuration, or where it is wrong. */
export type ConfigResult = Result<BrokerConfig, ConfigProblem>;

/** Vars that hold JSON: a string (a secret, `wrangler.toml`) or, from a TOML table, the value itself. */
const JSON_VARS = ["BROKER_CLIENTS", "BROKER_SIGNING_KEYS"] as const;

const FIELDS = Object.keys(EnvSchema.entries);

/** The broker's vars, with JSON decoded and empty strings read as unset. */
function readVars(env: object): Result<Record<string, unknown>, ConfigProblem> {
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
      return { ok: false, failure: { field, problem: `${MUST}be JSON` } };
    }
  }
  return ok(vars);
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

/** A host the provider does not publish (PaymentsGate's and Papaya's production) must be given. */
function hostFor(
  hosts: PublishedHosts,
  environment: "sandbox" | "production",
  field: string,
  given: string | undefined,
): ConfigProblem | undefined {
  if (given === undefined && hosts[environment] === undefined) {
    return {
      field,
      problem: `${MUST}be set for ${environment} (no ${environment} host is published)`,
    };
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
          PAYMENTSGATE_HOSTS.auth,
          env.PAYMENTSGATE_ENVIRONMENT,
          "PAYMENTSGATE_BASE_URL",
          env.PAYMENTSGATE_BASE_URL,
        )) ??
    (env.PAPAYA_API_KEY === undefined
      ? undefined
      : hostFor(PAPAYA_HOSTS.auth, env.PAPAYA_ENVIRONMENT, "PAPAYA_BASE_URL", env.PAPAYA_BASE_URL))
  );
}

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
        IPOSPAYS_HOSTS.api[env.IPOSPAYS_ENVIRONMENT],
    };
  }
  if (env.PAYMENTSGATE_ACCOUNT_ID !== undefined && env.PAYMENTSGATE_PUBLIC_KEY !== undefined) {
    settings.paymentsgate = {
      accountId: env.PAYMENTSGATE_ACCOUNT_ID,
      publicKey: env.PAYMENTSGATE_PUBLIC_KEY,
      environment: env.PAYMENTSGATE_ENVIRONMENT,
      baseUrl: env.PAYMENTSGATE_BASE_URL,
      // One host serves PaymentsGate's auth and API; production has none published (checked above).
      apiBaseUrl: env.PAYMENTSGATE_BASE_URL ?? PAYMENTSGATE_HOSTS.api.sandbox,
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
 * if (!result.ok) console.error(`configuration: ${describeProblem(result.failure)}`);
 */
export function parseBrokerConfig(env: object): ConfigResult {
  const read = readVars(env);
  if (!read.ok) return read;
  const parsed = v.safeParse(EnvSchema, read.value);
  if (!parsed.success) {
    const [issue] = parsed.issues;
    return { ok: false, failure: { field: pathOf(issue), problem: describe(issue) } };
  }
  const vars = parsed.output;
  const problem = crossChecks(vars);
  if (problem !== undefined) return { ok: false, failure: problem };
  const clients = vars.BROKER_CLIENTS.map(toPolicy);
  return ok({
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
    allAudiences: new Set([vars.BROKER_AUDIENCE, ...clients.flatMap((client) => client.audiences)]),
  });
}

/** The problem as one line: `BROKER_CLIENTS[0].maxLifetime must be at most 900 seconds`. */
export function describeProblem(problem: ConfigProblem): string {
  return `${problem.field} ${problem.problem}`;
}
