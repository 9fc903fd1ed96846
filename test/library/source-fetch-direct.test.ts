/**
 * `source.fetch` on the platform's own `fetch` (no `runtime.fetch`), with a provider that says
 * where its token goes (`placement`): the caller's URL and init go to `fetch` as they are, with
 * the token in a copy of the headers, and no `Request` is built (`src/authenticated-fetch.ts`,
 * `direct`). What the Request path promises holds here too: the token attached, redirects not
 * followed, one renewal and a byte-exact replay, typed errors with no token in them. A custom
 * `runtime.fetch` still gets a `Request` with the token on it (a service binding's
 * `(request) => env.API.fetch(request)` never sees an init).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { createEmulator } from "../../src/emulator/index.ts";
import {
  BEARER,
  bearer,
  createTokenSource,
  EdgeTokenError,
  ipospays,
  Token,
} from "../../src/index.ts";
import { Clock, doubleProvider, FakeServer } from "../support/double.ts";
import { failure } from "../support/wired-source.ts";

const API = "https://api.double.test/api";

interface Sent {
  /** What the platform's `fetch` was called with, before anything made a Request of it. */
  input: unknown;
  init: RequestInit | undefined;
  method: string;
  authorization: string | null;
  body: string;
}

/**
 * The platform's `fetch` routed to a fake token server and API; every API call recorded as it
 * was made. `api` answers instead of the fake API when given.
 */
function onPlatformFetch(api?: (request: Request) => Promise<Response>) {
  const clock = new Clock();
  const server = new FakeServer({ clock });
  const sent: Sent[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    if (new URL(request.url).pathname !== "/api") return server.fetch(request);
    sent.push({
      input,
      init,
      method: request.method,
      authorization: request.headers.get("authorization"),
      // A multipart boundary differs between two encodings of one form: compare its fields.
      body:
        init?.body instanceof FormData
          ? JSON.stringify([...(await request.clone().formData()).entries()])
          : new TextDecoder().decode(await request.clone().arrayBuffer()),
    });
    return api === undefined ? server.fetch(request) : api(request);
  });
  const source = createTokenSource(
    { ...doubleProvider(), placement: BEARER, apply: bearer },
    { runtime: { now: clock.now, random: () => 0, sleep: async () => {} } },
  );
  return { clock, server, sent, source };
}

afterEach(() => {
  vi.restoreAllMocks();
});

function form(): FormData {
  const data = new FormData();
  data.set("amount", "1250");
  return data;
}

const BODIES: Array<[string, () => BodyInit | undefined]> = [
  ["a string", () => '{"amount":1250}'],
  ["bytes", () => new TextEncoder().encode("amount=1")],
  ["an ArrayBuffer", () => new TextEncoder().encode("amount=2").buffer as ArrayBuffer],
  ["a Blob", () => new Blob(['{"amount":3}'], { type: "application/json" })],
  ["URLSearchParams", () => new URLSearchParams({ amount: "4" })],
  ["FormData", form],
  ["no body", () => undefined],
];

describe("source.fetch on the platform's fetch", () => {
  it("hands the caller's URL and init to fetch with the token in a copy of the headers", async () => {
    const { sent, source } = onPlatformFetch();
    const headers = { "content-type": "application/json" };
    const response = await source.fetch(API, { method: "POST", headers, body: "{}" });
    expect(response.status).toBe(200);
    expect(sent).toHaveLength(1);
    const [call] = sent as [Sent];
    expect(call.input).toBe(API);
    expect(call.init?.redirect).toBe("manual");
    expect(call.init?.body).toBe("{}");
    expect(call.authorization).toBe("Bearer at-1");
    expect(headers).toEqual({ "content-type": "application/json" });
    // A plain object stays one (Deno's fetch takes it faster than a Headers), the token in it.
    expect(call.init?.headers).toEqual({
      "content-type": "application/json",
      Authorization: "Bearer at-1",
    });
  });

  it("puts its token in place of the caller's own, however the caller spelled the name", async () => {
    const { sent, source } = onPlatformFetch();
    for (const headers of [
      { authorization: "Bearer mine" },
      { AUTHORIZATION: "Bearer mine" },
      [["Authorization", "Bearer mine"]] as [string, string][],
      new Headers({ authorization: "Bearer mine" }),
    ]) {
      await source.fetch(API, { headers });
    }
    expect(sent.map((call) => call.authorization)).toEqual(Array(4).fill("Bearer at-1"));
  });

  it("follows a redirect only when init says so", async () => {
    const { sent, source } = onPlatformFetch();
    await source.fetch(API, { redirect: "follow" });
    expect(sent[0]?.init?.redirect).toBe("follow");
  });

  for (const [name, make] of BODIES) {
    it(`after a 401, renews once and sends ${name} again, byte for byte`, async () => {
      const { clock, server, sent, source } = onPlatformFetch();
      await source.get();
      clock.advance(5_000);
      server.revokeAll();
      const body = make();
      const response = await source.fetch(API, {
        method: body === undefined ? "GET" : "POST",
        body: body ?? null,
      });
      expect(response.status).toBe(200);
      expect(sent.map((call) => call.authorization)).toEqual(["Bearer at-1", "Bearer at-2"]);
      expect(sent[1]?.body).toBe(sent[0]?.body);
      if (body !== undefined) expect(sent[0]?.body).not.toBe("");
      expect(sent.every((call) => !(call.input instanceof Request))).toBe(true);
    });
  }

  it("renews once for 20 refused requests, and replays each with its own body", async () => {
    const { clock, server, source } = onPlatformFetch();
    await source.get();
    clock.advance(5_000);
    server.revokeAll();
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        source.fetch(API, { method: "POST", body: `order-${i}` }),
      ),
    );
    const bodies = await Promise.all(responses.map((response) => response.json()));
    expect(bodies.map((body) => (body as { echo: string }).echo)).toEqual(
      Array.from({ length: 20 }, (_, i) => `order-${i}`),
    );
    expect(server.tokenCalls).toBe(2);
  });

  it("sends the body as it was when called, first and again, though the caller changes it", async () => {
    const { clock, server, sent, source } = onPlatformFetch();
    await source.get();
    clock.advance(5_000);
    server.revokeAll();
    const bytes = new TextEncoder().encode("amount=1");
    const data = form();
    // A view of another type over part of a buffer: its own bytes, not its elements.
    const wide = new Uint16Array(new TextEncoder().encode("xxamount=2xx").buffer, 2, 4);
    const pending = [
      source.fetch(API, { method: "POST", body: bytes }),
      source.fetch(API, { method: "POST", body: data }),
      source.fetch(API, { method: "POST", body: wide }),
    ];
    bytes.fill(0);
    wide.fill(0);
    data.set("amount", "999999");
    for (const response of await Promise.all(pending)) expect(response.status).toBe(200);
    const bodies = sent.map((call) => call.body);
    expect(bodies.filter((body) => body === "amount=1")).toHaveLength(2);
    expect(bodies.filter((body) => body === "amount=2")).toHaveLength(2);
    expect(bodies.filter((body) => body === JSON.stringify([["amount", "1250"]]))).toHaveLength(2);
  });

  it("sends to the URL as it was when called, first and again, though the caller changes it", async () => {
    const { clock, server, sent, source } = onPlatformFetch();
    await source.get();
    clock.advance(5_000);
    server.revokeAll();
    const url = new URL(API);
    const pending: Promise<Response>[] = [];
    for (const page of ["1", "2"]) {
      url.searchParams.set("page", page);
      pending.push(source.fetch(url));
    }
    for (const response of await Promise.all(pending)) expect(response.status).toBe(200);
    expect(sent.map((call) => String(call.input)).toSorted()).toEqual([
      `${API}?page=1`,
      `${API}?page=1`,
      `${API}?page=2`,
      `${API}?page=2`,
    ]);
  });

  it("a Request given as init keeps its method, headers and body", async () => {
    const { sent, source } = onPlatformFetch(async () => new Response("ok"));
    const init = new Request(API, { method: "DELETE", headers: { "x-kept": "1" }, body: "kept" });
    await source.fetch(API, init);
    expect(sent.map((call) => [call.method, call.body, call.authorization])).toEqual([
      ["DELETE", "kept", "Bearer at-1"],
    ]);
    expect(init.headers.get("authorization")).toBeNull();
  });

  it("does not replay a stream, but renews the token", async () => {
    const { clock, server, sent, source } = onPlatformFetch();
    await source.get();
    clock.advance(5_000);
    server.revokeAll();
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("once"));
        controller.close();
      },
    });
    const init = { method: "POST", body, duplex: "half" } as RequestInit;
    expect((await source.fetch(API, init)).status).toBe(401);
    expect(sent).toHaveLength(1);
    expect((await source.get()).value).toBe("at-2");
  });
});

describe("what source.fetch throws on the platform's fetch", () => {
  it("a bad URL is `configuration`, with the platform's error as its cause", async () => {
    const { source } = onPlatformFetch();
    const error = await failure(source.fetch("not a url"));
    expect(error.code).toBe("configuration");
    expect(error.cause).toBeInstanceOf(TypeError);
  });

  it("a GET with a body is `configuration`, and its cause names no token", async () => {
    const { source } = onPlatformFetch();
    const token = await source.get();
    const error = await failure(source.fetch(API, { method: "GET", body: "x" }));
    expect(error.code).toBe("configuration");
    expect(`${error.message}${String(error.cause)}${JSON.stringify(error)}`).not.toContain(
      token.value,
    );
  });

  it("a request that cannot be built is `configuration`, even when no token could be had", async () => {
    onPlatformFetch();
    const source = createTokenSource({
      ...doubleProvider(),
      obtain: async () => {
        throw new EdgeTokenError("upstream_unavailable", "The token endpoint is down.");
      },
      placement: BEARER,
      apply: bearer,
    });
    for (const init of [{ method: "GET", body: "x" }, { method: "GE T" }]) {
      const error = await failure(source.fetch(API, init));
      expect(error.code).toBe("configuration");
    }
    expect((await failure(source.fetch("/api"))).code).toBe("configuration");
    expect((await failure(source.fetch(API))).code).toBe("upstream_unavailable");
  });

  it("a body whose buffer was transferred away is `configuration`, on either path, not a bare TypeError", async () => {
    const { server, source } = onPlatformFetch();
    const custom = createTokenSource(
      { ...doubleProvider(), placement: BEARER, apply: bearer },
      { runtime: { fetch: (input, init) => server.fetch(new Request(input, init)) } },
    );
    const buffer = new ArrayBuffer(8);
    const view = new Uint8Array(buffer);
    structuredClone(buffer, { transfer: [buffer] });
    for (const sender of [source, custom]) {
      for (const body of [buffer, view]) {
        expect((await failure(sender.fetch(API, { method: "POST", body }))).code).toBe(
          "configuration",
        );
      }
    }
  });

  it("a stream sent to an API that is down is `request_failed`, not `configuration`", async () => {
    const { source } = onPlatformFetch(async () => {
      throw new TypeError("fetch failed");
    });
    await source.get();
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("once"));
        controller.close();
      },
    });
    const init = { method: "POST", body, duplex: "half" } as RequestInit;
    expect((await failure(source.fetch(API, init))).code).toBe("request_failed");
  });

  it("a header name the caller got wrong is `configuration`: as pairs or a Headers, before any token is asked for", async () => {
    const { server, source } = onPlatformFetch();
    const pairs = await failure(source.fetch(API, { headers: [["bad header", "x"]] }));
    expect(pairs.code).toBe("configuration");
    expect(server.tokenCalls).toBe(0);
    // A plain object goes to fetch as it is: its names are checked when it is sent, with the
    // token (obtained once, for the requests that follow).
    const token = await source.get();
    const object = await failure(source.fetch(API, { headers: { "bad header": "x" } }));
    expect(object.code).toBe("configuration");
    expect(`${object.message}${String(object.cause)}${JSON.stringify(object)}`).not.toContain(
      token.value,
    );
    expect(server.tokenCalls).toBe(1);
  });

  it("a network failure is `request_failed`, naming the origin and not the token", async () => {
    const platform = new TypeError("fetch failed");
    const { source } = onPlatformFetch(async () => {
      throw platform;
    });
    const token = await source.get();
    const error = await failure(source.fetch(API));
    expect(error.code).toBe("request_failed");
    expect(error.message).toContain("https://api.double.test");
    expect(error.cause).toBe(platform);
    expect(`${error.message}${error.stack}${JSON.stringify(error)}`).not.toContain(token.value);
  });

  it("the caller's own abort is `aborted`", async () => {
    const { source } = onPlatformFetch(
      (request) =>
        new Promise((_, reject) => {
          request.signal.addEventListener("abort", () => reject(request.signal.reason));
        }),
    );
    await source.get();
    const error = await failure(source.fetch(API, { signal: AbortSignal.timeout(20) }));
    expect(error.code).toBe("aborted");
  });

  it("a token a header cannot carry is `invalid_response`, with nothing sent", async () => {
    const { sent } = onPlatformFetch();
    const now = Date.now();
    const source = createTokenSource({
      ...doubleProvider(),
      obtain: async () =>
        new Token({ value: "bad\ntoken-value", obtainedAt: now, expiresAt: now + 3_600_000 }),
      placement: BEARER,
      apply: bearer,
    });
    const error = await failure(source.fetch(API));
    expect(error.code).toBe("invalid_response");
    expect(`${error.message}${error.stack}${JSON.stringify(error)}`).not.toContain("token-value");
    expect(sent).toHaveLength(0);
  });
});

describe("the Request path stays where it must", () => {
  it("a custom runtime.fetch gets a Request with the token on it", async () => {
    const emulator = createEmulator();
    const seen: unknown[] = [];
    const source = createTokenSource(
      ipospays({
        apiKey: "demo-merchant-key",
        secretKey: "demo-merchant-secret",
        scope: "PaymentTokenization",
        baseUrl: "http://127.0.0.1:8788/ipospays",
      }),
      {
        runtime: {
          // A service binding's shape: it reads the Request and nothing else.
          fetch: (input) => {
            seen.push(input);
            return emulator.fetch(input as Request);
          },
        },
      },
    );
    await source.fetch("http://127.0.0.1:8788/ipospays/api/v3/iposTransact", {
      method: "POST",
      body: "{}",
    });
    const call = seen.at(-1);
    expect(call).toBeInstanceOf(Request);
    expect((call as Request).headers.get("token")).toMatch(/^eyJ/);
  });
});
