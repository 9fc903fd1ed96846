/**
 * Requests in workerd that share one provider call: many requests to the broker Worker (each in
 * its own request context, through the Worker's loopback binding) wait on one token source's
 * in-flight renewal against a slow provider. Each gets the token or a typed answer — never the
 * runtime's "Cannot perform I/O on behalf of a different request" or hung-request 500.
 */
import { exports } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createEmulator } from "../../src/emulator/index.ts";

const EMULATOR = "http://127.0.0.1:8788";

function routeToEmulator() {
  const emulator = createEmulator();
  const real = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
    const request = new Request(input, init);
    return request.url.startsWith(EMULATOR) ? emulator.fetch(request) : real(request);
  });
  return emulator;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("one provider call shared by concurrent requests", () => {
  it("hands every waiting request the token, even when the request that started it went away", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    vi.spyOn(console, "error").mockImplementation(() => {});
    const emulator = routeToEmulator();
    const scope = "papaya:payments";
    emulator.addFault({ provider: "papaya", kind: "latency", ms: 300 });
    const ask = (signal?: AbortSignal) =>
      exports.default.fetch("http://127.0.0.1:8787/provider-token", {
        method: "POST",
        headers: {
          Authorization: `Basic ${btoa("demo:demo-secret")}`,
          "Content-Type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ scope }),
        ...(signal === undefined ? {} : { signal }),
      });
    // The request that starts the provider call goes away before it answers.
    const starter = new AbortController();
    const first = ask(starter.signal).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const rest = Array.from({ length: 11 }, () => ask());
    await new Promise((resolve) => setTimeout(resolve, 50));
    starter.abort();
    await first;
    const answers = await Promise.all(rest);
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as { access_token?: string }[];
    expect(answers.map((r) => r.status)).toEqual(Array(11).fill(200));
    // Every request got the one token the one provider call brought.
    expect(new Set(bodies.map((body) => body.access_token)).size).toBe(1);
    expect(emulator.calls()["POST /papaya/token"]).toBe(1);
  });
});
