/**
 * The world a fault-matrix cell runs in: the emulator (or, for the generic OAuth 2.0 provider, a
 * small token endpoint made here), a wrapping fetch that counts every auth call and makes the
 * faults the emulator has no control for, and a token source on a clock the test moves by hand.
 */

import { createEmulator, type Emulator, type Fault } from "../../src/emulator/index.ts";
import {
  createTokenSource,
  type FetchLike,
  ipospays,
  oauth2ClientCredentials,
  type Provider,
  papaya,
  paymentsGate,
  type RequestPolicy,
  type TokenSource,
  type TokenSourceEvent,
} from "../../src/index.ts";
import { Clock, T0 } from "./double.ts";
import type { Calls, FaultId, ProviderId } from "./fault-matrix.ts";
import { unsignedJwt } from "./jwt.ts";

const EMULATOR = "https://emulator.test";
const OAUTH_TOKEN_URL = "https://oauth.test/oauth/token";
export const OAUTH_CLIENT = { clientId: "matrix-client", clientSecret: "matrix-secret-5d1c" };
/** Token lifetime of the generic OAuth 2.0 endpoint, like the others' here: 30 minutes. */
const OAUTH_LIFETIME_SECONDS = 1800;
const FIVE_MB = 5 * 1024 * 1024;
const TIMEOUT_MS = 100;

/** The emulator's own fault for a matrix fault, where it has one. */
const EMULATOR_FAULTS: Partial<Record<FaultId, Fault>> = {
  timeout: { kind: "latency", ms: 1_000 },
  "5xx": { kind: "status", status: 503 },
  "429": { kind: "rate_limit", retryAfter: 120 },
  html: { kind: "non_json" },
  error_200: { kind: "error_200" },
  expired: { kind: "expired_tokens" },
  date_ahead: { kind: "skew", ms: 600_000 },
  date_behind: { kind: "skew", ms: -600_000 },
};

/** How far the provider's clock is off under a fault: its tokens' `exp` is on that clock. */
export function skewOf(fault: FaultId): number {
  const made = EMULATOR_FAULTS[fault];
  return made?.kind === "skew" ? made.ms : 0;
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

/**
 * A client-credentials token endpoint (RFC 6749 §4.4) that issues JWT access tokens with
 * `expires_in`, and misbehaves the way the emulator's faults do.
 */
export class OAuth2Endpoint {
  fault: Fault | undefined;
  readonly #clock: Clock;
  constructor(clock: Clock) {
    this.#clock = clock;
  }

  fetch = async (input: Request | string | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const fault = this.fault;
    const skew = fault?.kind === "skew" ? fault.ms : 0;
    const now = this.#clock.now() + skew;
    const headers = { date: new Date(now).toUTCString(), "cache-control": "no-store" };
    if (fault?.kind === "latency") await delay(fault.ms, request.signal);
    if (fault?.kind === "status")
      return new Response("Service Unavailable", { status: 503, headers });
    if (fault?.kind === "rate_limit") {
      return Response.json(
        { error: "slow_down" },
        { status: 429, headers: { ...headers, "retry-after": String(fault.retryAfter) } },
      );
    }
    if (fault?.kind === "non_json") {
      return new Response("<!DOCTYPE html><html><body><h1>Maintenance</h1></body></html>", {
        status: 200,
        headers: { ...headers, "content-type": "text/html" },
      });
    }
    const expected = `Basic ${btoa(`${OAUTH_CLIENT.clientId}:${OAUTH_CLIENT.clientSecret}`)}`;
    const refused = request.headers.get("authorization") !== expected;
    if (fault?.kind === "error_200" || refused) {
      return Response.json({ error: "invalid_client" }, { status: refused ? 401 : 200, headers });
    }
    const seconds = Math.floor(now / 1000);
    const exp = fault?.kind === "expired_tokens" ? seconds - 60 : seconds + OAUTH_LIFETIME_SECONDS;
    const access = unsignedJwt({
      sub: OAUTH_CLIENT.clientId,
      iat: exp - OAUTH_LIFETIME_SECONDS,
      exp,
      jti: crypto.randomUUID(),
    });
    return Response.json(
      { access_token: access, token_type: "Bearer", expires_in: OAUTH_LIFETIME_SECONDS },
      { headers },
    );
  };
}

/** Which auth endpoint a path is: iPOSpays' and PaymentsGate's refresh, or an obtain. */
function endpointOf(path: string): keyof Calls {
  return path.endsWith("/refresh-token") || path.endsWith("/token/refresh") ? "refresh" : "token";
}

/** A body of 5 MB of JSON whitespace, then `tail`; counts what the reader pulled. */
function hugeBody(tail: string, pulled: { bytes: number }): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  const end = new TextEncoder().encode(tail);
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= FIVE_MB) {
        controller.enqueue(end);
        controller.close();
        return;
      }
      controller.enqueue(chunk.slice());
      sent += chunk.byteLength;
      pulled.bytes = sent;
    },
  });
}

/** The token fields a `no_exp` fault replaces: a JWT without `exp` (OAuth 2.0: no expiry at all). */
function withoutExpiry(
  body: Record<string, unknown>,
  provider: ProviderId,
): Record<string, unknown> {
  const noExp = unsignedJwt({ sub: "no-exp", iat: Math.floor(T0 / 1000) });
  if (provider === "oauth2") {
    const { expires_in: _dropped, ...rest } = body;
    return { ...rest, access_token: `opaque-${crypto.randomUUID()}` };
  }
  if (typeof body.token === "string") return { ...body, token: noExp };
  if (typeof body.access_token === "string") return { ...body, access_token: noExp };
  return body;
}

/** The response with another body: its status and headers, less the old `Content-Length`. */
function rebody(response: Response, body: BodyInit): Response {
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  return new Response(body, { status: response.status, headers });
}

export interface WireCounts {
  calls: Calls;
  /** What the client read of a 5 MB body before it gave up. */
  pulled: { bytes: number };
}

/**
 * The faults the emulator has no control for, made around its answers: every auth request still
 * reaches the provider (so its count is the provider's), then its answer is lost or altered.
 */
function wireFetch(
  next: FetchLike,
  provider: ProviderId,
  counts: WireCounts,
  fault: () => FaultId | undefined,
): FetchLike {
  return async (input, init) => {
    const request = new Request(input, init);
    counts.calls[endpointOf(new URL(request.url).pathname)] += 1;
    const response = await next(request);
    switch (fault()) {
      case "reset":
        await response.body?.cancel();
        throw new TypeError("Network connection lost.");
      case "truncated": {
        const text = await response.text();
        return rebody(response, text.slice(0, Math.floor(text.length / 2)));
      }
      case "no_exp": {
        const body = (await response.json()) as Record<string, unknown>;
        return rebody(response, JSON.stringify(withoutExpiry(body, provider)));
      }
      case "5mb":
        return rebody(response, hugeBody(await response.text(), counts.pulled));
      default:
        return response;
    }
  };
}

function policy(fault: FaultId): RequestPolicy {
  return {
    timeoutMs: fault === "timeout" ? TIMEOUT_MS : 10_000,
    retries: 1,
    backoff: { baseMs: 1, maxMs: 1 },
  };
}

function providerFor(id: ProviderId, fault: FaultId): Provider {
  const requestPolicy = policy(fault);
  switch (id) {
    case "ipospays":
      return ipospays({
        apiKey: "demo-merchant-key",
        secretKey: "demo-merchant-secret",
        scope: "PaymentTokenization",
        expiryMinutes: 30,
        baseUrl: `${EMULATOR}/ipospays`,
        requestPolicy,
      });
    case "paymentsgate":
      return paymentsGate({
        accountId: "00000000-0000-4000-8000-000000000001",
        publicKey: "demo-public-key",
        baseUrl: `${EMULATOR}/paymentsgate`,
        requestPolicy,
      });
    case "papaya":
      return papaya({
        apiKey: "demo-papaya-key",
        clientSecret: "demo-papaya-secret",
        expiration: 1800,
        baseUrl: `${EMULATOR}/papaya`,
        requestPolicy,
      });
    case "oauth2":
      return oauth2ClientCredentials({
        tokenUrl: OAUTH_TOKEN_URL,
        ...OAUTH_CLIENT,
        scope: "payments",
        requestPolicy,
      });
  }
}

/** The emulator's count of calls to one provider's auth endpoints (`"POST /path"` → n). */
function emulatorCalls(emulator: Emulator, provider: ProviderId): Calls {
  const calls: Calls = { token: 0, refresh: 0 };
  for (const [name, count] of Object.entries(emulator.calls())) {
    const path = name.split(" ")[1] ?? "";
    if (path.startsWith(`/${provider}/`)) calls[endpointOf(path)] += count;
  }
  return calls;
}

export interface FaultWorld {
  clock: Clock;
  source: TokenSource;
  events: TokenSourceEvent[];
  wire: WireCounts;
  /** Switches the fault on: the emulator's, the OAuth 2.0 endpoint's, or the wrapping fetch's. */
  arm(): void;
  /** Switches every fault off again. */
  disarm(): void;
  /** What the provider saw: the emulator's counts, or the OAuth 2.0 endpoint's (the wire's). */
  providerCalls(): Calls;
}

/**
 * One cell's world. The emulator is shared by a file's cells (its signing key takes a while to
 * make) and reset here, with the clock, before each.
 */
export function faultWorld(
  shared: { clock: Clock; emulator: Emulator },
  provider: ProviderId,
  fault: FaultId,
): FaultWorld {
  const { clock, emulator } = shared;
  emulator.reset();
  clock.t = T0;
  const oauth = new OAuth2Endpoint(clock);
  const wire: WireCounts = { calls: { token: 0, refresh: 0 }, pulled: { bytes: 0 } };
  let armed = false;
  const upstream: FetchLike = provider === "oauth2" ? oauth.fetch : emulator.fetch;
  const fetch = wireFetch(upstream, provider, wire, () => (armed ? fault : undefined));
  const events: TokenSourceEvent[] = [];
  const source = createTokenSource(providerFor(provider, fault), {
    onEvent: (event) => events.push(event),
    runtime: { fetch, now: clock.now, random: () => 0, sleep: async () => {} },
  });
  return {
    clock,
    source,
    events,
    wire,
    arm() {
      armed = true;
      const made = EMULATOR_FAULTS[fault];
      if (made === undefined) return;
      if (provider === "oauth2") oauth.fault = made;
      else emulator.addFault({ ...made, provider });
    },
    disarm() {
      armed = false;
      oauth.fault = undefined;
      emulator.clearFaults();
    },
    providerCalls: () =>
      provider === "oauth2" ? { ...wire.calls } : emulatorCalls(emulator, provider),
  };
}

/** A new emulator on a new clock, for a file's cells to share. */
export function sharedEmulator(): { clock: Clock; emulator: Emulator } {
  const clock = new Clock();
  return { clock, emulator: createEmulator({ now: clock.now }) };
}
