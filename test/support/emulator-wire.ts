/**
 * Hand-built wire requests for the emulator's contract tests. Deliberately nothing from the
 * client library: these tests read PROVIDERS.md on their own, as the emulator does.
 */
import {
  compactVerify,
  createLocalJWKSet,
  generateKeyPair,
  type JWTPayload,
  type ProtectedHeaderParameters,
  SignJWT,
} from "jose";
import { createEmulator, type Emulator, type EmulatorOptions } from "../../src/emulator/index.ts";

export const T0 = Date.parse("2026-11-23T12:00:00Z");
export const BASE = "https://emulator.test";

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
/** {@link T0} as an HTTP Date header. */
export const HTTP_DATE_T0 = new Date(T0).toUTCString();
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const MERCHANT = { apiKey: "demo-merchant-key", secretKey: "demo-merchant-secret" };
export const ISO = { apiKey: "demo-iso-key", secretKey: "demo-iso-secret" };
export const AGENT = { apiKey: "demo-agent-key", secretKey: "demo-agent-secret" };
export const PG_ACCOUNT = "00000000-0000-4000-8000-000000000001";
export const PG_KEY_B64 = "ZGVtby1wdWJsaWMta2V5";
export const PAPAYA = { api_key: "demo-papaya-key", client_secret: "demo-papaya-secret" };

export const PATHS = {
  ipospaysToken: "/ipospays/v1/authenticate-token",
  ipospaysRefresh: "/ipospays/v1/refresh-token",
  ipospaysApi: "/ipospays/api/v3/iposTransact",
  paymentsgateToken: "/paymentsgate/auth/token",
  paymentsgateRefresh: "/paymentsgate/auth/token/refresh",
  paymentsgateApi: "/paymentsgate/deals/payin",
  papayaToken: "/papaya/token",
  papayaApi: "/papaya/v1/payments",
} as const;

/** An emulator on a clock the test moves by hand, starting at {@link T0}. */
export function setup(options: Omit<EmulatorOptions, "now"> = {}) {
  let t = T0;
  const clock = {
    now: (): number => t,
    advance: (ms: number): void => {
      t += ms;
    },
  };
  const emulator = createEmulator({ ...options, now: clock.now });
  return { emulator, clock };
}

export function post(path: string, headers: Record<string, string> = {}, body?: string): Request {
  return new Request(`${BASE}${path}`, {
    method: "POST",
    headers,
    ...(body === undefined ? {} : { body }),
  });
}

export function postJson(path: string, body: unknown, headers: Record<string, string> = {}) {
  return post(path, { "content-type": "application/json", ...headers }, JSON.stringify(body));
}

export function get(path: string, headers: Record<string, string> = {}): Request {
  return new Request(`${BASE}${path}`, { headers });
}

/** The parsed JSON body; fails the test when it is not JSON. */
export async function json(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}

/** Verifies the signature against the emulator's JWKS (no time checks) and returns the parts. */
export async function verified(
  emulator: Emulator,
  token: string,
): Promise<{ header: ProtectedHeaderParameters; claims: JWTPayload }> {
  const { payload, protectedHeader } = await compactVerify(
    token,
    createLocalJWKSet(await emulator.jwks()),
    { algorithms: ["RS256"] },
  );
  return {
    header: protectedHeader,
    claims: JSON.parse(new TextDecoder().decode(payload)) as JWTPayload,
  };
}

/** The same claims and header, signed by a key that is not the emulator's. */
export async function foreignCopy(emulator: Emulator, token: string): Promise<string> {
  const { header, claims } = await verified(emulator, token);
  const { privateKey } = await generateKeyPair("RS256");
  return new SignJWT(claims).setProtectedHeader({ ...header, alg: "RS256" }).sign(privateKey);
}

/** The same claims, signed HS256 with a made-up secret. */
export async function hs256Copy(emulator: Emulator, token: string): Promise<string> {
  const { claims } = await verified(emulator, token);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode("not-the-emulators-secret-0123456789"));
}

/** The token with one claim changed and the original signature kept. */
export function tampered(token: string, changes: Record<string, unknown>): string {
  const [header, payload, signature] = token.split(".");
  const claims = JSON.parse(atob((payload ?? "").replaceAll("-", "+").replaceAll("_", "/")));
  const encoded = btoa(JSON.stringify({ ...claims, ...changes }))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
  return `${header}.${encoded}.${signature}`;
}

export async function ipospaysToken(
  emulator: Emulator,
  scope = "PaymentTokenization",
  extra: Record<string, string> = {},
  credentials = MERCHANT,
): Promise<string> {
  const response = await emulator.fetch(
    post(PATHS.ipospaysToken, { ...credentials, scope, ...extra }),
  );
  const body = await json(response);
  if (typeof body.token !== "string") throw new Error(`no token: ${JSON.stringify(body)}`);
  return body.token;
}

export async function paymentsgatePair(
  emulator: Emulator,
): Promise<{ access_token: string; refresh_token: string; expires_in: number }> {
  const response = await emulator.fetch(
    postJson(PATHS.paymentsgateToken, { account_id: PG_ACCOUNT, public_key: PG_KEY_B64 }),
  );
  const body = await json(response);
  if (typeof body.access_token !== "string") throw new Error(`no pair: ${JSON.stringify(body)}`);
  return body as { access_token: string; refresh_token: string; expires_in: number };
}

export async function papayaToken(emulator: Emulator, extra: Record<string, unknown> = {}) {
  const response = await emulator.fetch(postJson(PATHS.papayaToken, { ...PAPAYA, ...extra }));
  const body = await json(response);
  if (typeof body.token !== "string") throw new Error(`no token: ${JSON.stringify(body)}`);
  return body.token;
}

export const transact = (emulator: Emulator, token: string, body?: unknown) =>
  emulator.fetch(
    post(
      PATHS.ipospaysApi,
      { token, "content-type": "application/json" },
      body === undefined ? undefined : JSON.stringify(body),
    ),
  );

export const payin = (emulator: Emulator, token: string) =>
  emulator.fetch(
    postJson(PATHS.paymentsgateApi, { amount: 100 }, { authorization: `Bearer ${token}` }),
  );

export const payments = (emulator: Emulator, token: string) =>
  emulator.fetch(get(PATHS.papayaApi, { authorization: `Bearer ${token}` }));
