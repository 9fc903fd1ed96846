/**
 * A refused token is renewed even while a failed refresh is being backed off — still one auth
 * call however many requests were refused.
 */
import { describe, expect, it } from "vitest";
import { getAndSettle, MINUTE, setup } from "../support/wired-source.ts";

describe("renewal after a refusal during a refresh backoff", () => {
  it("renews once and replays every refused request while the backoff runs", async () => {
    const { server, source, clock } = setup({ latencyMs: 10, double: { refreshable: true } });
    await source.get();
    // Past the refresh point: the background refresh fails and a backoff starts.
    clock.advance(50 * MINUTE);
    server.mode = "down";
    await getAndSettle(source);
    expect(server.refreshCalls).toBe(1);
    // The provider answers again and has retired the old token.
    server.mode = "ok";
    server.revokeAll();
    clock.advance(100);
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        source.fetch("https://api.double.test/api", { method: "POST", body: `order-${i}` }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
    expect(server.refreshCalls + server.tokenCalls).toBe(3);
    expect((await source.get()).value).toBe("at-2");
  });

  it("a renewal that fails again comes back as the typed error and backs off anew", async () => {
    const { server, source, clock } = setup({ double: { refreshable: true } });
    await source.get();
    clock.advance(50 * MINUTE);
    server.mode = "down";
    await getAndSettle(source);
    server.revokeAll();
    clock.advance(100);
    await expect(source.fetch("https://api.double.test/api")).rejects.toMatchObject({
      code: "upstream_unavailable",
    });
    const calls = server.refreshCalls + server.tokenCalls;
    // Inside the new backoff nothing more is sent.
    await expect(source.get()).rejects.toMatchObject({ code: "upstream_unavailable" });
    expect(server.refreshCalls + server.tokenCalls).toBe(calls);
  });
});
