/**
 * When the provider fails: stale-if-error, credential errors, requests that time out, are too
 * big, malformed or aborted, and no secret in any error.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createKvStore } from "../../src/index.ts";
import { API_KEY, SECRET } from "../support/double.ts";
import { failure, getAndSettle, MINUTE, setup } from "../support/wired-source.ts";

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
