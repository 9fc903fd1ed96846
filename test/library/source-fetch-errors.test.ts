/**
 * Everything source.fetch throws is an EdgeTokenError with a clear code, the platform's own
 * error as its cause, and no token.
 */
import { describe, expect, it } from "vitest";
import { createTokenSource } from "../../src/index.ts";
import { Clock, doubleProvider, FakeServer } from "../support/double.ts";
import { failure, setup } from "../support/wired-source.ts";

/** A source whose token calls go to the fake server and whose API calls go to `api`. */
function withApi(api: (request: Request) => Promise<Response>) {
  const clock = new Clock();
  const server = new FakeServer({ clock });
  const source = createTokenSource(doubleProvider(), {
    runtime: {
      now: clock.now,
      fetch: (input, init) => {
        const request = new Request(input, init);
        return new URL(request.url).hostname === "auth.double.test"
          ? server.fetch(request)
          : api(request);
      },
    },
  });
  return { source, server };
}

describe("what source.fetch throws", () => {
  it("a bad URL is a `configuration` error with the platform's error as its cause", async () => {
    const { source } = setup();
    const error = await failure(source.fetch("not a url"));
    expect(error.code).toBe("configuration");
    expect(error.cause).toBeInstanceOf(TypeError);
  });

  it("a platform TypeError (Node's `fetch failed`) is `request_failed`, with no token in it", async () => {
    const platform = new TypeError("fetch failed");
    const { source } = withApi(async () => {
      throw platform;
    });
    const token = await source.get();
    const error = await failure(source.fetch("https://api.double.test/api"));
    expect(error.code).toBe("request_failed");
    expect(error.message).toContain("https://api.double.test");
    expect(error.cause).toBe(platform);
    expect(`${error.message}${error.stack}${JSON.stringify(error)}`).not.toContain(token.value);
  });

  it("workerd's own failure to connect is `request_failed` too", async () => {
    const { source } = withApi((request) =>
      fetch(request.url.replace("https://api.double.test", "http://127.0.0.1:1")),
    );
    const error = await failure(source.fetch("https://api.double.test/api"));
    expect(error.code).toBe("request_failed");
    expect(error.cause).toBeInstanceOf(Error);
  });

  it("the caller's own abort is `aborted`", async () => {
    const { source } = withApi(
      (request) =>
        new Promise((_, reject) => {
          request.signal.addEventListener("abort", () => reject(request.signal.reason));
        }),
    );
    await source.get();
    const error = await failure(
      source.fetch("https://api.double.test/api", { signal: AbortSignal.timeout(20) }),
    );
    expect(error.code).toBe("aborted");
  });
});
