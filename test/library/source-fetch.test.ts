/**
 * The token source's authenticated fetch: the token attached, redirects, renewal on 401 and replay.
 */
import { describe, expect, it } from "vitest";
import { createTokenSource } from "../../src/index.ts";
import { Clock, doubleProvider } from "../support/double.ts";
import { setup } from "../support/wired-source.ts";

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
