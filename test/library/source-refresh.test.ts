/**
 * Refresh ahead of expiry, the floor no token is served below, and the provider's refresh handles.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createTokenSource } from "../../src/index.ts";
import { Clock, doubleProvider, FakeServer } from "../support/double.ts";
import { failure, getAndSettle, MINUTE, setup } from "../support/wired-source.ts";

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
