/**
 * A deadline for a whole get(): every attempt, retry wait and lease wait together. And the shared
 * provider call belongs to no single caller: it outlives one that gives up, and one whose I/O
 * went away (a cancelled Workers request) does not hold the others.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createTokenSource, type Provider } from "../../src/index.ts";
import { Clock, doubleProvider, FakeServer } from "../support/double.ts";
import { failure, setup } from "../support/wired-source.ts";

/** A provider that never answers and ignores every signal. */
const never = (): Promise<Response> => new Promise<Response>(() => {});

describe("the deadline of a get()", () => {
  it("fails a never-answering provider with `timeout` within the deadline, retries and all", async () => {
    const clock = new Clock();
    const source = createTokenSource(
      doubleProvider({ policy: { retries: 2, timeoutMs: 10_000 } }),
      { deadlineMs: 300, runtime: { fetch: never, now: clock.now, sleep: async () => {} } },
    );
    const started = Date.now();
    const error = await failure(source.get());
    expect(error.code).toBe("timeout");
    expect(error.message).toContain("deadlineMs");
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("defaults to 10 s, and refuses a deadline that is not a positive duration", () => {
    for (const deadlineMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => createTokenSource(doubleProvider(), { deadlineMs })).toThrow(/deadlineMs/);
    }
  });

  it("a caller that gives up does not stop the shared call: its ctx keeps it for the others", async () => {
    const { server, source } = setup({ latencyMs: 100 });
    const ctx = createExecutionContext();
    const signal = AbortSignal.timeout(10);
    expect((await failure(source.get({ ctx, signal }))).code).toBe("aborted");
    await waitOnExecutionContext(ctx);
    expect(source.toJSON()).toMatchObject({ cached: true });
    expect((await source.get()).value).toBe("at-1");
    expect(server.tokenCalls).toBe(1);
  });

  it("a shared call that never settles (its request's I/O went away) holds no one past the deadline", async () => {
    const clock = new Clock();
    const server = new FakeServer({ clock });
    const double = doubleProvider();
    let calls = 0;
    const provider: Provider = {
      ...double,
      // The first call is lost the way a cancelled request's fetch is: it never settles.
      obtain: (context) => (++calls === 1 ? new Promise(() => {}) : double.obtain(context)),
    };
    const source = createTokenSource(provider, {
      deadlineMs: 200,
      runtime: { fetch: server.fetch, now: clock.now, sleep: async () => {} },
    });
    const waiting = await Promise.all([failure(source.get()), failure(source.get())]);
    expect(waiting.map((error) => error.code)).toEqual(["timeout", "timeout"]);
    clock.advance(2_000);
    expect((await source.get()).value).toBe("at-1");
    expect(calls).toBe(2);
  });
});
