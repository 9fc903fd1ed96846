/**
 * A test double for the Provider interface: a tiny OAuth-ish token server (a fetch handler) and a
 * provider that talks to it through edgetoken's own request and parse helpers, so errors and
 * retries in these tests are the real ones. The seeded providers and their emulator come later.
 */
import * as v from "valibot";
import {
  EdgeTokenError,
  type Provider,
  type ProviderContext,
  parseJson,
  type RequestPolicy,
  sendRequest,
  Token,
  tokenExpiry,
} from "../../src/index.ts";

export const SECRET = "sk_live_TOPSECRET_4f9a1c";
export const API_KEY = "ak_live_CLIENTID_77b2";
export const T0 = Date.parse("2026-11-23T12:00:00Z");

export type Mode = "ok" | "down" | "rate-limited" | "bad-credentials" | "garbage" | "slow" | "huge";

/** A clock the test moves by hand. */
export class Clock {
  t: number;
  constructor(start = T0) {
    this.t = start;
  }
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface ServerOptions {
  clock: Clock;
  /** Lifetime of issued tokens, in seconds. */
  lifetime?: number;
  /** Real milliseconds each token call takes (lets concurrent callers pile up). */
  latencyMs?: number;
}

/** The fake provider: POST /token issues tokens, GET /api checks the Bearer token. */
export class FakeServer {
  mode: Mode = "ok";
  lifetime: number;
  latencyMs: number;
  tokenCalls = 0;
  refreshCalls = 0;
  apiCalls = 0;
  issued = 0;
  readonly live = new Set<string>();
  readonly refreshTokens = new Set<string>();
  readonly #clock: Clock;

  constructor(options: ServerOptions) {
    this.#clock = options.clock;
    this.lifetime = options.lifetime ?? 3600;
    this.latencyMs = options.latencyMs ?? 0;
  }

  revokeAll(): void {
    this.live.clear();
  }

  fetch = async (input: Request | string | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (url.pathname === "/api") {
      this.apiCalls++;
      const auth = request.headers.get("authorization") ?? "";
      const ok = auth.startsWith("Bearer ") && this.live.has(auth.slice(7));
      // Bytes, decoded: `.text()` on a form or multipart body makes workerd warn.
      const body = new TextDecoder().decode(await request.arrayBuffer());
      return ok
        ? Response.json({ ok: true, echo: body })
        : Response.json({ error: "invalid_token" }, { status: 401 });
    }
    const refreshing = url.pathname === "/token/refresh";
    if (refreshing) this.refreshCalls++;
    else this.tokenCalls++;
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    switch (this.mode) {
      case "down":
        return new Response("upstream connect error", { status: 503 });
      case "rate-limited":
        return new Response("slow down", { status: 429, headers: { "Retry-After": "120" } });
      case "bad-credentials":
        // A careless provider echoes what it was sent: edgetoken must not repeat it.
        return Response.json(
          { error: "invalid_client", detail: `bad key ${API_KEY} / ${SECRET}` },
          { status: 401 },
        );
      case "garbage":
        return new Response(`<html>${SECRET}</html>`, { status: 200 });
      case "slow":
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        break;
      case "huge":
        return new Response("x".repeat(200_000), { status: 200 });
      default:
        break;
    }
    const body = (await request.json().catch(() => ({}))) as Record<string, unknown>;
    if (refreshing) {
      const handle = String(body.refresh_token);
      if (!this.refreshTokens.delete(handle)) {
        return Response.json({ error: "invalid_grant" }, { status: 400 });
      }
    } else if (body.key !== API_KEY || body.secret !== SECRET) {
      return Response.json({ error: "invalid_client" }, { status: 401 });
    }
    this.issued++;
    const value = `at-${this.issued}`;
    const refresh = `rt-${this.issued}`;
    this.live.add(value);
    this.refreshTokens.add(refresh);
    return Response.json(
      { access_token: value, refresh_token: refresh, expires_in: this.lifetime },
      { headers: { Date: new Date(this.#clock.now()).toUTCString() } },
    );
  };
}

const TokenBody = v.object({
  access_token: v.pipe(v.string(), v.nonEmpty()),
  refresh_token: v.optional(v.string()),
  expires_in: v.pipe(v.number(), v.integer(), v.minValue(1)),
});

function parseToken(
  sent: Awaited<ReturnType<typeof sendRequest>>,
  what: string,
  refreshing: boolean,
): Token {
  const status = sent.response.status;
  if (status === 400 && refreshing) {
    throw new EdgeTokenError("refresh_rejected", `${what}: refresh token refused.`, { status });
  }
  if (status === 401) {
    throw new EdgeTokenError("credentials", `${what}: the key or secret was refused.`, { status });
  }
  const body = parseJson(sent.body, TokenBody, what, status);
  const expiresAt = tokenExpiry({
    sentAt: sent.sentAt,
    receivedAt: sent.receivedAt,
    dateHeader: sent.response.headers.get("date"),
    expiresIn: body.expires_in,
  });
  return new Token({
    value: body.access_token,
    refreshToken: body.refresh_token,
    obtainedAt: sent.sentAt,
    expiresAt: expiresAt ?? sent.sentAt,
    scope: "payments",
  });
}

export interface DoubleOptions {
  refreshable?: boolean;
  policy?: RequestPolicy;
  scope?: string;
}

/** A provider backed by a {@link FakeServer}. Its credentials are {@link API_KEY} and {@link SECRET}. */
export function doubleProvider(options: DoubleOptions = {}): Provider & {
  refreshesSent: string[];
} {
  const policy: RequestPolicy = { retries: 0, ...options.policy };
  const refreshesSent: string[] = [];
  const provider: Provider & { refreshesSent: string[] } = {
    key: {
      provider: "double",
      environment: "test",
      credentialId: API_KEY,
      scope: options.scope ?? "payments",
    },
    refreshesSent,
    async obtain({ runtime, signal }: ProviderContext) {
      const sent = await sendRequest(
        () =>
          new Request("https://auth.double.test/token", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ key: API_KEY, secret: SECRET }),
          }),
        runtime,
        policy,
        "Double token endpoint",
        signal,
      );
      return parseToken(sent, "Double token endpoint", false);
    },
    apply(request, token) {
      const authorized = new Request(request);
      authorized.headers.set("Authorization", `Bearer ${token.value}`);
      return authorized;
    },
  };
  if (options.refreshable) {
    provider.canRefresh = (previous) => previous.refreshToken !== undefined;
    provider.refresh = async (previous, { runtime, signal }) => {
      refreshesSent.push(previous.refreshToken ?? "");
      const sent = await sendRequest(
        () =>
          new Request("https://auth.double.test/token/refresh", {
            method: "POST",
            body: JSON.stringify({ refresh_token: previous.refreshToken }),
          }),
        runtime,
        policy,
        "Double refresh endpoint",
        signal,
      );
      return parseToken(sent, "Double refresh endpoint", true);
    };
  }
  return provider;
}
