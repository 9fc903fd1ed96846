/**
 * A broker under test: the real Worker handlers from `createBroker`, the real local KV and
 * Durable Object bindings, the provider emulator as the outbound fetch, and one hand-moved clock
 * shared by the broker and the emulator.
 */
import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from "cloudflare:test";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { type MockInstance, vi } from "vitest";
import { createEmulator, type Emulator } from "../../src/emulator/index.ts";
import { type Broker, createBroker } from "../../worker/broker.ts";
import { hashSecret } from "../../worker/oauth/client-auth.ts";
import { SCOPES } from "../../worker/oauth/scopes.ts";
import { Clock } from "./double.ts";
import { recordOutput } from "./leaks.ts";

export const ISSUER = "https://broker.test";
export const AUDIENCE = "edgetoken-demo";
/** Requests to this host fail like a network error. */
export const UNREACHABLE = "unreachable.invalid";

export interface TestClient {
  id: string;
  secret: string;
  scopes: readonly string[];
  audiences: readonly string[];
  maxLifetime: number;
  origins?: readonly string[];
  providerTokens?: boolean;
  operator?: boolean;
  rateLimit?: { requests: number; windowSeconds: number };
}

/** A trusted backend: every scope, provider tokens, one browser origin. */
export const SHOP: TestClient = {
  id: "shop",
  secret: "shop-secret-7c1e9f0a2b4d6e8f",
  scopes: SCOPES,
  audiences: [AUDIENCE, "https://payments.example"],
  maxLifetime: 900,
  origins: ["https://shop.example"],
  providerTokens: true,
  operator: true,
};

/** A client with one scope, a short maximum lifetime, and no provider tokens. */
export const PAYROLL: TestClient = {
  id: "payroll",
  secret: "payroll-secret-3a5c7e9b1d2f4a6c",
  scopes: ["papaya:payments"],
  audiences: ["https://payroll.example", AUDIENCE],
  maxLifetime: 120,
};

/** A resource server: introspects tokens meant for it, may have nothing itself. */
export const PAYMENTS_API: TestClient = {
  id: "payments-api",
  secret: "payments-api-secret-9e8d7c6b5a4f",
  scopes: [],
  audiences: ["https://payments.example"],
  maxLifetime: 60,
};

/** Generous, so only the rate-limit tests meet a limit. */
const UNLIMITED = { requests: 1_000_000, windowSeconds: 1 };

export async function clientsVar(clients: readonly TestClient[]): Promise<string> {
  const entries = await Promise.all(
    clients.map(async ({ secret, rateLimit, ...client }) => ({
      ...client,
      secretHash: await hashSecret(secret),
      rateLimit: rateLimit ?? UNLIMITED,
    })),
  );
  return JSON.stringify(entries);
}

/** A production-style signing key the tests also hold, so they can forge tokens with it. */
export interface TestKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: Record<string, unknown>;
}

export async function newSigningKey(): Promise<TestKey> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint({
    kty: "EC",
    crv: "P-256",
    x: String(jwk.x),
    y: String(jwk.y),
  });
  return { kid, privateKey, jwk: { ...jwk, kid } };
}

export interface WorldOptions {
  clients?: readonly TestClient[];
  /** Vars replaced or added on top of wrangler.toml's. */
  vars?: Partial<Cloudflare.Env>;
  /** Give the broker a BROKER_SIGNING_KEYS key (default) or let it make development keys. */
  keys?: "secret" | "development";
  /** Where the clock starts, epoch ms. Default: a fixed instant. */
  start?: number;
  /**
   * Wraps the broker's outbound fetch (which records `outbound` and answers from the emulator),
   * so a test can fake an upstream answer or stand in for the platform's own fetch behaviour.
   */
  fetch?: (next: FetchFn) => FetchFn;
  /** The proxy's upstream deadline (default: the broker's own, 10 s). */
  proxyTimeoutMs?: number;
}

export type FetchFn = (input: Request | string | URL, init?: RequestInit) => Promise<Response>;

export interface World {
  clock: Clock;
  emulator: Emulator;
  broker: Broker;
  env: Cloudflare.Env;
  /** The signing key, when `keys` is "secret". */
  key: TestKey | undefined;
  /** Every request the broker sent out (to the emulator), in order. */
  outbound: Array<{ method: string; url: string; headers: Headers }>;
  /** Sends a request to the broker and waits for its background work. */
  send(path: string, init?: RequestInit): Promise<Response>;
  /** `client_credentials` for a client; the parsed JSON response. */
  token(client: TestClient, params?: Record<string, string>): Promise<TokenResponse>;
  /** Sends a form with the client's Basic credentials. */
  post(
    path: string,
    client: TestClient | undefined,
    params: Record<string, string>,
  ): Promise<Response>;
  /** Runs the cron trigger. */
  cron(): Promise<void>;
  /** A new broker instance over the same KV, clock and emulator: an isolate restart. */
  restart(): void;
  /** A second broker instance beside the first (another isolate or colo); its `send`. */
  isolate(): (path: string, init?: RequestInit) => Promise<Response>;
}

export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
  issued_token_type?: string;
}

/** `Authorization: Basic` for a client, form-encoded first as RFC 6749 §2.3.1 asks. */
export function basic(client: { id: string; secret: string }): string {
  const encode = (text: string) => encodeURIComponent(text).replaceAll("%20", "+");
  return `Basic ${btoa(`${encode(client.id)}:${encode(client.secret)}`)}`;
}

export function form(params: Record<string, string>): RequestInit {
  return {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(params).toString(),
  };
}

/**
 * Empties the KV namespace. Storage is shared by the tests of one file (and only those), so
 * each world starts without the provider tokens, revocations and keys of the one before.
 */
async function clearKv(): Promise<void> {
  for (;;) {
    const listed = await env.TOKENS.list();
    await Promise.all(listed.keys.map((key) => env.TOKENS.delete(key.name)));
    if (listed.list_complete) return;
  }
}

/**
 * An address of its own for each world (RFC 3849's documentation prefix): failed attempts are
 * counted per source in Durable Objects that last the whole file, so worlds must not share one.
 */
function newAddress(): string {
  const hex = () => Math.floor(Math.random() * 0x10000).toString(16);
  return `2001:db8:${hex()}:${hex()}::${hex()}`;
}

/** The request as Cloudflare would hand it over: with `CF-Connecting-IP`, unless a test set one. */
function fromAddress(url: string, init: RequestInit | undefined, address: string): Request {
  const request = new Request(url, init);
  if (!request.headers.has("cf-connecting-ip")) request.headers.set("CF-Connecting-IP", address);
  return request;
}

/** A copy of SHOP with a rate limit of its own (Durable Object state lasts for a whole file). */
export function limitedClient(id: string, requests = 3, windowSeconds = 60): TestClient {
  return { ...SHOP, id, rateLimit: { requests, windowSeconds } };
}

/**
 * An error answer as the leak guard sees it (`leaks.ts`): its headers and body are scanned like
 * console output, so a secret or a token echoed into a refusal fails the test that met it.
 */
async function scanErrorAnswer(response: Response): Promise<Response> {
  if (response.status < 400) return response;
  const headers = [...response.headers].map(([name, value]) => `${name}: ${value}`).join("\n");
  const body = response.bodyUsed || response.body === null ? "" : await response.clone().text();
  recordOutput(`a broker answer ${response.status}`, [headers, body]);
  return response;
}

/** A sleep that yields the event loop for a few real milliseconds, whatever it was asked for. */
function shortSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(ms, 5)));
}

export async function brokerWorld(options: WorldOptions = {}): Promise<World> {
  await clearKv();
  const clock = new Clock(options.start);
  const emulator = createEmulator({ now: clock.now });
  const key = options.keys === "development" ? undefined : await newSigningKey();
  const testEnv: Cloudflare.Env = {
    ...env,
    ISSUER,
    // The demo page's backend is off unless a test turns it on (the embedded default names `demo`).
    DEMO_CLIENT_ID: "",
    BROKER_AUDIENCE: AUDIENCE,
    BROKER_CLIENTS: await clientsVar(options.clients ?? [SHOP, PAYROLL, PAYMENTS_API]),
    ...(key === undefined ? {} : { BROKER_SIGNING_KEYS: JSON.stringify([key.jwk]) }),
    ...options.vars,
  };
  const outbound: World["outbound"] = [];
  const recorded: FetchFn = (input, init) => {
    const request = new Request(input, init);
    outbound.push({
      method: request.method,
      url: request.url,
      headers: new Headers(request.headers),
    });
    // A host that stands for a provider that cannot be reached at all.
    if (new URL(request.url).hostname === UNREACHABLE)
      throw new TypeError("Network connection lost.");
    return emulator.fetch(request);
  };
  const fetch = options.fetch === undefined ? recorded : options.fetch(recorded);
  const fresh = () =>
    createBroker({
      // Sleeps yield a few real milliseconds (the clock does not move): an isolate waiting on
      // another's lease polls the way it would in production, instead of 60 times in a row.
      runtime: { fetch, now: clock.now, random: () => 0, sleep: shortSleep },
      ...(options.proxyTimeoutMs === undefined ? {} : { proxyTimeoutMs: options.proxyTimeoutMs }),
    });
  let broker = fresh();
  const address = newAddress();
  const send = async (path: string, init?: RequestInit): Promise<Response> => {
    const ctx = createExecutionContext();
    const response = await broker.fetch(
      fromAddress(`${ISSUER}${path}`, init, address),
      testEnv,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return scanErrorAnswer(response);
  };
  const post = (path: string, client: TestClient | undefined, params: Record<string, string>) => {
    const init = form(params);
    if (client !== undefined)
      (init.headers as Record<string, string>).Authorization = basic(client);
    return send(path, init);
  };
  return {
    clock,
    emulator,
    get broker() {
      return broker;
    },
    env: testEnv,
    key,
    outbound,
    send,
    post,
    async token(client, params = {}) {
      const response = await post("/oauth/token", client, {
        grant_type: "client_credentials",
        ...params,
      });
      if (response.status !== 200) {
        throw new Error(`token request failed: ${response.status} ${await response.text()}`);
      }
      return response.json();
    },
    async cron() {
      const ctx = createExecutionContext();
      const controller = createScheduledController({
        scheduledTime: clock.now(),
        cron: "*/5 * * * *",
      });
      await broker.scheduled(controller, testEnv, ctx);
      await waitOnExecutionContext(ctx);
    },
    isolate() {
      const other = fresh();
      return async (path, init) => {
        const ctx = createExecutionContext();
        const response = await other.fetch(
          fromAddress(`${ISSUER}${path}`, init, address),
          testEnv,
          ctx,
        );
        await waitOnExecutionContext(ctx);
        return scanErrorAnswer(response);
      };
    },
    restart() {
      broker = fresh();
    },
  };
}

/** The world's signing key; only worlds with `keys: "secret"` have one. */
export function keyOf(world: World): TestKey {
  if (world.key === undefined) throw new Error("this world has development keys, not a test key");
  return world.key;
}

/**
 * A token signed with the world's own key: valid unless the test breaks something. A claim
 * given as `undefined` is left out.
 */
export async function forge(
  world: World,
  claims: Record<string, unknown>,
  header: Record<string, string> = {},
  key: TestKey = keyOf(world),
): Promise<string> {
  const now = Math.floor(world.clock.now() / 1000);
  const payload = Object.fromEntries(
    Object.entries({
      iss: ISSUER,
      sub: SHOP.id,
      aud: AUDIENCE,
      iat: now,
      exp: now + 300,
      jti: `forged-${crypto.randomUUID()}`,
      client_id: SHOP.id,
      scope: SCOPES.join(" "),
      ...claims,
    }).filter(([, value]) => value !== undefined),
  ) as JWTPayload;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: key.kid, ...header })
    .sign(key.privateKey);
}

/** Silences the broker's log lines for a test, and hands back the spies to read them. */
export function quietLogs(): {
  log: MockInstance<typeof console.log>;
  warn: MockInstance<typeof console.warn>;
  error: MockInstance<typeof console.error>;
} {
  vi.restoreAllMocks();
  return {
    log: vi.spyOn(console, "log").mockImplementation(() => {}),
    warn: vi.spyOn(console, "warn").mockImplementation(() => {}),
    error: vi.spyOn(console, "error").mockImplementation(() => {}),
  };
}

/** The payload of a JWT, without verifying it. */
export function payloadOf(token: string): Record<string, unknown> {
  const [, payload = ""] = token.split(".");
  return JSON.parse(atob(payload.replaceAll("-", "+").replaceAll("_", "/")));
}

export function headerOf(token: string): Record<string, unknown> {
  const [header = ""] = token.split(".");
  return JSON.parse(atob(header.replaceAll("-", "+").replaceAll("_", "/")));
}

/** The status and JSON body of an error answer. */
export async function errorOf(response: Response) {
  return { status: response.status, body: await response.json<Record<string, unknown>>() };
}
