import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  createEncryptedKv,
  createKvStore,
  createTokenSource,
  type EdgeTokenError,
  isEdgeTokenError,
  type Token,
  type TokenSource,
  type TokenSourceOptions,
} from "../../src/index.ts";
import {
  API_KEY,
  Clock,
  type DoubleOptions,
  doubleProvider,
  FakeServer,
  SECRET,
} from "../support/double.ts";

const MINUTE = 60_000;

function setup(
  options: {
    lifetime?: number;
    latencyMs?: number;
    double?: DoubleOptions;
  } & TokenSourceOptions = {},
) {
  const clock = new Clock();
  const server = new FakeServer({
    clock,
    ...(options.lifetime === undefined ? {} : { lifetime: options.lifetime }),
    ...(options.latencyMs === undefined ? {} : { latencyMs: options.latencyMs }),
  });
  const provider = doubleProvider(options.double);
  const source = createTokenSource(provider, {
    ...options,
    runtime: { fetch: server.fetch, now: clock.now, random: () => 0, sleep: async () => {} },
  });
  return { clock, server, provider, source };
}

/** get() with an execution context, then waits for any background refresh it started. */
async function getAndSettle(source: TokenSource): Promise<Token> {
  const ctx = createExecutionContext();
  const token = await source.get({ ctx });
  await waitOnExecutionContext(ctx);
  return token;
}

async function failure(promise: Promise<unknown>): Promise<EdgeTokenError> {
  try {
    await promise;
  } catch (error) {
    if (isEdgeTokenError(error)) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}

describe("get(): memory, single flight", () => {
  it("1,000 concurrent get() on a cold cache make exactly one provider call", async () => {
    const { server, source } = setup({ latencyMs: 20 });
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => source.get()));
    expect(server.tokenCalls).toBe(1);
    expect(new Set(tokens.map((token) => token.value))).toEqual(new Set(["at-1"]));
  });

  it("serves the cached token without calling the provider again", async () => {
    const { server, source, clock } = setup();
    const first = await source.get();
    clock.advance(30 * MINUTE);
    expect(await source.get()).toBe(first);
    expect(server.tokenCalls).toBe(1);
  });

  it("invalidate() drops the token; the next get() obtains a new one", async () => {
    const { server, source } = setup();
    const first = await source.get();
    await source.invalidate();
    const second = await source.get();
    expect(second.value).not.toBe(first.value);
    expect(server.tokenCalls).toBe(2);
  });

  it("rejects options that make no sense with a configuration error", () => {
    const provider = doubleProvider();
    for (const options of [
      { refreshAhead: 1.5 },
      { minRemainingMs: -1 },
      { refreshJitter: Number.NaN },
    ]) {
      expect(() => createTokenSource(provider, options)).toThrowError(
        expect.objectContaining({ code: "configuration" }),
      );
    }
  });
});

describe("refresh ahead of expiry", () => {
  it("refreshes in the background at a point relative to the lifetime, serving the old token meanwhile", async () => {
    // 60-minute token, refreshAhead 0.25, jitter drawn as 0: refresh at 45 minutes.
    const { server, source, clock } = setup({ latencyMs: 30 });
    const first = await source.get();
    clock.advance(44 * MINUTE);
    expect(await source.get()).toBe(first);
    expect(server.tokenCalls).toBe(1);

    clock.advance(2 * MINUTE);
    const ctx = createExecutionContext();
    // Past the refresh point: the old token comes back at once, the refresh runs behind it.
    expect((await source.get({ ctx })).value).toBe("at-1");
    expect((await source.get({ ctx })).value).toBe("at-1");
    await waitOnExecutionContext(ctx);
    expect((await source.get()).value).toBe("at-2");
    expect(server.tokenCalls).toBe(2);
  });

  it("places the refresh point by the lifetime, not a fixed margin", async () => {
    const short = setup({ lifetime: 30 * 60 });
    await short.source.get();
    short.clock.advance(22 * MINUTE); // 30 min token: 22.5 min is the point
    await getAndSettle(short.source);
    expect(short.server.tokenCalls).toBe(1);
    short.clock.advance(1 * MINUTE);
    await getAndSettle(short.source);
    expect(short.server.tokenCalls).toBe(2);

    const long = setup({ lifetime: 24 * 3600 });
    await long.source.get();
    long.clock.advance(17 * 60 * MINUTE); // 24 h token: refresh at 18 h
    await getAndSettle(long.source);
    expect(long.server.tokenCalls).toBe(1);
    long.clock.advance(61 * MINUTE);
    await getAndSettle(long.source);
    expect(long.server.tokenCalls).toBe(2);
  });

  it("spreads the refresh point with jitter", async () => {
    const points = new Set<number>();
    for (const draw of [0, 0.5, 0.99]) {
      const clock = new Clock();
      const server = new FakeServer({ clock });
      const source = createTokenSource(doubleProvider(), {
        runtime: { fetch: server.fetch, now: clock.now, random: () => draw },
      });
      await source.get();
      // Walk forward a minute at a time until the source refreshes.
      const calls = (): number => server.tokenCalls;
      for (let minute = 1; minute <= 60 && calls() === 1; minute++) {
        clock.advance(MINUTE);
        await getAndSettle(source);
        if (calls() === 2) points.add(minute);
      }
    }
    expect(points.size).toBe(3);
    for (const minute of points) expect(minute).toBeGreaterThanOrEqual(39);
  });
});

describe("the floor", () => {
  it("never returns a token with 10 s left", async () => {
    const { server, source, clock } = setup();
    const first = await source.get();
    server.mode = "down";
    clock.t = first.expiresAt - 10_000;
    const error = await failure(source.get());
    expect(error.code).toBe("upstream_unavailable");

    server.mode = "ok";
    clock.advance(2_000); // past the backoff, 8 s left on the old token
    const next = await source.get();
    expect(next.value).not.toBe(first.value);
    expect(next.expiresAt - clock.t).toBeGreaterThan(30_000);
  });

  it("never serves a short-lived token past the floor from the cached path", async () => {
    // 50 s token, 30 s floor: by 21 s it has 29 s left, below the floor.
    const { server, source, clock } = setup({ lifetime: 50 });
    const first = await source.get();
    clock.advance(21_000);
    const next = await source.get();
    expect(next.value).not.toBe(first.value);
    expect(next.expiresAt - clock.t).toBeGreaterThan(30_000);
    expect(server.tokenCalls).toBe(2);
  });

  it("refuses a freshly issued token whose life is already below the floor", async () => {
    const { source } = setup({ lifetime: 20 });
    const error = await failure(source.get());
    expect(error.code).toBe("invalid_response");
    expect(error.message).toMatch(/below minRemainingMs/);
  });
});

describe("stale-if-error", () => {
  it("serves the valid token through a provider outage with backoff, then fails with a typed error", async () => {
    const { server, source, clock } = setup();
    const first = await source.get();
    server.mode = "down";
    clock.advance(46 * MINUTE); // past the refresh point

    expect(await getAndSettle(source)).toBe(first); // triggers a refresh that fails
    const afterFirstFailure = server.tokenCalls;
    expect(afterFirstFailure).toBe(2);

    // Within the backoff window, callers are served and the provider is left alone.
    for (let i = 0; i < 100; i++) expect(await source.get()).toBe(first);
    expect(server.tokenCalls).toBe(afterFirstFailure);

    // After the backoff the source tries again (and fails again), still serving the token.
    clock.advance(MINUTE);
    expect(await getAndSettle(source)).toBe(first);
    expect(server.tokenCalls).toBe(afterFirstFailure + 1);

    // Below the floor there is nothing left to serve: a typed, retryable error.
    clock.t = first.expiresAt - 20_000;
    const error = await failure(source.get());
    expect(error.code).toBe("upstream_unavailable");
    expect(error.retryable).toBe(true);
    expect(error.status).toBe(503);

    // The provider comes back: the next attempt after the backoff succeeds.
    server.mode = "ok";
    clock.advance(2 * MINUTE);
    expect((await source.get()).value).toMatch(/^at-/);
    expect((await source.get()).value).not.toBe(first.value);
  });

  it("retries 5xx within one call, with backoff, before giving up", async () => {
    const { server, source } = setup({ double: { policy: { retries: 2 } } });
    server.mode = "down";
    const error = await failure(source.get());
    expect(error.code).toBe("upstream_unavailable");
    expect(server.tokenCalls).toBe(3);
  });

  it("remembers a Retry-After no longer than the backoff cap", async () => {
    const { server, source, clock } = setup({
      double: { policy: { retries: 0 } },
      backoff: { maxMs: 10_000 },
    });
    server.mode = "rate-limited"; // Retry-After: 120
    await failure(source.get());
    server.mode = "ok";
    clock.advance(11_000);
    await source.get();
    expect(server.tokenCalls).toBe(2);
  });

  it("does not wait out a long Retry-After: rate_limited, with the wait, remembered", async () => {
    const { server, source, clock } = setup({ double: { policy: { retries: 2 } } });
    server.mode = "rate-limited";
    const error = await failure(source.get());
    expect(error.code).toBe("rate_limited");
    expect(error.retryAfterMs).toBe(120_000);
    expect(server.tokenCalls).toBe(1);
    await failure(source.get());
    expect(server.tokenCalls).toBe(1);
    server.mode = "ok";
    clock.advance(121_000);
    await source.get();
    expect(server.tokenCalls).toBe(2);
  });
});

describe("credential errors", () => {
  it("are not retried, and 1,000 callers do not re-send them", async () => {
    const { server, source, clock } = setup({ double: { policy: { retries: 3 } } });
    server.mode = "bad-credentials";
    const errors = await Promise.all(Array.from({ length: 1000 }, () => failure(source.get())));
    expect(new Set(errors.map((error) => error.code))).toEqual(new Set(["credentials"]));
    expect(errors[0]?.retryable).toBe(false);
    for (let i = 0; i < 1000; i++) await failure(source.get());
    expect(server.tokenCalls).toBe(1);

    // Remembered briefly, not forever: a fixed key works once the negative cache lapses.
    server.mode = "ok";
    clock.advance(31_000);
    await source.get();
    expect(server.tokenCalls).toBe(2);
  });
});

describe("requests", () => {
  it("time out against a slow provider", async () => {
    const { server, source } = setup({ double: { policy: { timeoutMs: 50 } } });
    server.mode = "slow";
    const started = performance.now();
    const error = await failure(source.get());
    expect(error.code).toBe("timeout");
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/50 ms/);
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it("refuse a body over the size cap", async () => {
    const { server, source } = setup();
    server.mode = "huge";
    expect((await failure(source.get())).code).toBe("response_too_large");
  });

  it("refuse a body that is not the documented shape, without echoing it", async () => {
    const { server, source } = setup();
    server.mode = "garbage";
    const error = await failure(source.get());
    expect(error.code).toBe("invalid_response");
    expect(error.message).not.toContain(SECRET);
  });

  it("stop waiting when the caller aborts, leaving the shared call to the others", async () => {
    const { server, source } = setup({ latencyMs: 50 });
    const controller = new AbortController();
    const mine = source.get({ signal: controller.signal });
    const theirs = source.get();
    controller.abort();
    expect((await failure(mine)).code).toBe("aborted");
    expect((await theirs).value).toBe("at-1");
    expect(server.tokenCalls).toBe(1);
  });
});

describe("authenticated fetch", () => {
  it("attaches the token and returns the response", async () => {
    const { source } = setup();
    const response = await source.fetch("https://api.double.test/api");
    expect(response.status).toBe(200);
  });

  it("does not follow a redirect with the token unless asked to", async () => {
    const { server, source } = setup();
    const seen: Request[] = [];
    const redirecting = createTokenSource(doubleProvider(), {
      runtime: {
        now: () => Date.parse("2026-11-23T12:00:00Z"),
        fetch: async (input, init) => {
          const request = new Request(input, init);
          if (new URL(request.url).pathname !== "/api") return server.fetch(request);
          seen.push(request);
          return new Response(null, {
            status: 307,
            headers: { Location: "https://elsewhere.example/" },
          });
        },
      },
    });
    await source.get();
    const response = await redirecting.fetch("https://api.double.test/api", {
      method: "POST",
      body: "x",
    });
    expect(response.status).toBe(307);
    expect(seen[0]?.redirect).toBe("manual");
    await redirecting.fetch("https://api.double.test/api", { redirect: "follow" });
    expect(seen[1]?.redirect).toBe("follow");
  });

  it("renews once per refused token, however many requests carried it, and replays them", async () => {
    const { server, source, clock } = setup({ latencyMs: 10 });
    await source.get();
    clock.advance(5_000);
    server.revokeAll();
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        source.fetch("https://api.double.test/api", { method: "POST", body: `order-${i}` }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
    const bodies = await Promise.all(responses.map((response) => response.json()));
    expect(bodies.map((body) => (body as { echo: string }).echo)).toEqual(
      Array.from({ length: 20 }, (_, i) => `order-${i}`),
    );
    expect(server.tokenCalls).toBe(2);
  });

  it("does not renew a token refused within the cooldown of obtaining it", async () => {
    const { server, source } = setup();
    const first = await source.get();
    server.revokeAll();
    for (let i = 0; i < 5; i++) {
      expect((await source.fetch("https://api.double.test/api")).status).toBe(401);
    }
    expect(server.tokenCalls).toBe(1);
    expect(await source.get()).toBe(first);
  });

  it("renews at most once: a second 401 comes back to the caller", async () => {
    const { server, source } = setup();
    await source.get();
    const alwaysRefuse = async (input: Request | string | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      if (new URL(request.url).pathname === "/api") {
        server.apiCalls++;
        return new Response("no", { status: 401 });
      }
      return server.fetch(request);
    };
    const clock = new Clock();
    const refusing = createTokenSource(doubleProvider(), {
      runtime: { fetch: alwaysRefuse, now: clock.now },
    });
    await refusing.get();
    clock.advance(5_000);
    const response = await refusing.fetch("https://api.double.test/api");
    expect(response.status).toBe(401);
    expect(server.apiCalls).toBe(2);
    expect(server.tokenCalls).toBe(3); // 1 for `source`, 2 for `refusing`: one renewal
  });

  it("does not replay a request whose body was a stream, but still renews the token", async () => {
    const { server, source, clock } = setup();
    await source.get();
    clock.advance(5_000);
    server.revokeAll();
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("once"));
        controller.close();
      },
    });
    const response = await source.fetch("https://api.double.test/api", {
      method: "POST",
      body,
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(401);
    expect(server.apiCalls).toBe(1);
    expect((await source.get()).value).toBe("at-2");
  });
});

describe("refresh handles", () => {
  it("uses the provider's refresh at the refresh point and falls back to obtain when refused", async () => {
    const { server, source, clock } = setup({ double: { refreshable: true } });
    await source.get();
    clock.advance(46 * MINUTE);
    const ctx = createExecutionContext();
    await source.get({ ctx });
    await waitOnExecutionContext(ctx);
    expect(server.refreshCalls).toBe(1);
    expect((await source.get()).value).toBe("at-2");

    server.refreshTokens.clear(); // the provider forgets every refresh token
    clock.advance(46 * MINUTE);
    const ctx2 = createExecutionContext();
    await source.get({ ctx: ctx2 });
    await waitOnExecutionContext(ctx2);
    expect(server.refreshCalls).toBe(2);
    expect(server.tokenCalls).toBe(2);
    expect((await source.get()).value).toBe("at-3");
  });

  it("never sends the same refresh token twice, however many callers race", async () => {
    const { provider, source, clock } = setup({ double: { refreshable: true }, latencyMs: 5 });
    await source.get();
    for (let round = 0; round < 3; round++) {
      clock.advance(50 * MINUTE);
      await Promise.all(Array.from({ length: 50 }, () => source.get()));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(provider.refreshesSent.length).toBeGreaterThanOrEqual(3);
    expect(new Set(provider.refreshesSent).size).toBe(provider.refreshesSent.length);
  });
});

describe("with a shared store (real local KV)", () => {
  it("a second instance takes the token from KV instead of the provider", async () => {
    const { server, source, clock } = setup({ store: createKvStore(env.TOKENS) });
    const first = await source.get();
    const other = createTokenSource(doubleProvider(), {
      store: createKvStore(env.TOKENS, { now: clock.now }),
      runtime: { fetch: server.fetch, now: clock.now, random: () => 0 },
    });
    expect((await other.get()).value).toBe(first.value);
    expect(server.tokenCalls).toBe(1);
  });

  it("an instance past its refresh point adopts a newer token another instance stored", async () => {
    const kv = createEncryptedKv(env.TOKENS, {
      keys: [{ id: "k1", secret: "0123456789abcdef0123456789abcdef-adopt" }],
    });
    const clock = new Clock();
    const server = new FakeServer({ clock });
    const make = () =>
      createTokenSource(doubleProvider({ scope: "adopt" }), {
        store: createKvStore(kv, { now: clock.now }),
        runtime: { fetch: server.fetch, now: clock.now, random: () => 0 },
      });
    const a = make();
    const b = make();
    await a.get();
    await b.get();
    expect(server.tokenCalls).toBe(1);
    clock.advance(46 * MINUTE);
    await a.invalidate();
    const fresh = await a.get(); // a obtains and stores a new token
    expect(server.tokenCalls).toBe(2);
    const ctx = createExecutionContext();
    await b.get({ ctx }); // b is past its refresh point: it looks in KV first
    await waitOnExecutionContext(ctx);
    expect((await b.get()).value).toBe(fresh.value);
    expect(server.tokenCalls).toBe(2);
  });

  it("a corrupt KV value is a miss that gets overwritten", async () => {
    const { server, source, provider } = setup({ store: createKvStore(env.TOKENS) });
    const { storeKeyName } = await import("../../src/index.ts");
    const name = await storeKeyName({ ...provider.key });
    await env.TOKENS.put(name, "{not json", { expirationTtl: 120 });
    const token = await source.get();
    expect(server.tokenCalls).toBe(1);
    expect(await env.TOKENS.get(name)).toContain(token.value);
  });

  it("a token the API refused is not taken back from the store", async () => {
    const { server, source, clock } = setup({
      store: createKvStore(env.TOKENS),
      double: { scope: "refused" },
    });
    const first = await source.get();
    clock.advance(5_000);
    server.revokeAll();
    const response = await source.fetch("https://api.double.test/api");
    expect(response.status).toBe(200);
    expect((await source.get()).value).not.toBe(first.value);
    expect(server.tokenCalls).toBe(2);
  });
});

describe("secrets", () => {
  it("no secret or token in any error, message, stack or serialisation", async () => {
    const { server, source } = setup({
      store: createKvStore(env.TOKENS),
      double: { scope: "secrets" },
    });
    const token = await source.get();
    await source.invalidate();
    server.mode = "bad-credentials";
    const error = await failure(source.get());
    expect(error.code).toBe("credentials");
    server.mode = "garbage";
    const { source: other, server: otherServer } = setup();
    otherServer.mode = "garbage";
    const garbage = await failure(other.get());
    const texts = [error, garbage].flatMap((e) => [
      e.message,
      String(e.stack),
      String(e),
      JSON.stringify(e),
      JSON.stringify({ e }),
    ]);
    texts.push(JSON.stringify(source), String(source), JSON.stringify(token), String(token));
    texts.push(JSON.stringify(createKvStore(env.TOKENS)));
    for (const text of texts) {
      for (const secret of [SECRET, API_KEY, token.value, token.refreshToken ?? "rt-1"]) {
        expect(text).not.toContain(secret);
      }
    }
  });
});
