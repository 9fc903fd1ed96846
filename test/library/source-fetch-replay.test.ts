/**
 * The replay after a renewal sends the same request again — same body bytes, same content
 * type — whatever the body was given as, although no copy of it is kept up front unless the body
 * can only be read once (`src/authenticated-fetch.ts`). And the caller's own Request is never
 * the one the token is set on.
 */
import { describe, expect, it } from "vitest";
import { createTokenSource } from "../../src/index.ts";
import { Clock, doubleProvider, FakeServer } from "../support/double.ts";

interface Seen {
  authorization: string | null;
  contentType: string | null;
  body: string;
}

function replaying() {
  const clock = new Clock();
  const server = new FakeServer({ clock });
  const seen: Seen[] = [];
  const source = createTokenSource(doubleProvider(), {
    runtime: {
      now: clock.now,
      random: () => 0,
      sleep: async () => {},
      fetch: async (input, init) => {
        const request = new Request(input, init);
        if (new URL(request.url).pathname === "/api") {
          const copy = request.clone();
          let contentType = copy.headers.get("content-type");
          let body: string;
          // A multipart boundary differs between two encodings of one form: compare its fields.
          if (contentType?.startsWith("multipart/form-data")) {
            body = JSON.stringify([...(await copy.formData()).entries()]);
            contentType = "multipart/form-data";
          } else {
            // Bytes, decoded: `.text()` on a form body makes workerd warn.
            body = new TextDecoder().decode(await copy.arrayBuffer());
          }
          seen.push({ authorization: request.headers.get("authorization"), contentType, body });
        }
        return server.fetch(request);
      },
    },
  });
  return { clock, server, source, seen };
}

const URL_ = "https://api.double.test/api";

function form(): FormData {
  const data = new FormData();
  data.set("amount", "1250");
  data.set("currency", "USD");
  return data;
}

const BODIES: Array<[string, () => { input: Request | string; init?: RequestInit }]> = [
  ["a string", () => ({ input: URL_, init: { method: "POST", body: '{"amount":1250}' } })],
  [
    "bytes",
    () => ({ input: URL_, init: { method: "POST", body: new TextEncoder().encode("amount=1") } }),
  ],
  [
    "an ArrayBuffer",
    () => ({
      input: URL_,
      init: { method: "POST", body: new TextEncoder().encode("amount=2").buffer },
    }),
  ],
  [
    "a Blob",
    () => ({
      input: URL_,
      init: { method: "POST", body: new Blob(['{"amount":3}'], { type: "application/json" }) },
    }),
  ],
  [
    "URLSearchParams",
    () => ({ input: URL_, init: { method: "POST", body: new URLSearchParams({ amount: "4" }) } }),
  ],
  ["FormData", () => ({ input: URL_, init: { method: "POST", body: form() } })],
  [
    "a Request's own body",
    () => ({
      input: new Request(URL_, {
        method: "POST",
        body: '{"amount":5}',
        headers: { "content-type": "application/json" },
      }),
    }),
  ],
  [
    "init's body over a Request's",
    () => ({
      input: new Request(URL_, { method: "POST", body: "not this" }),
      init: { method: "POST", body: '{"amount":6}' },
    }),
  ],
  ["no body", () => ({ input: URL_ })],
];

describe("the replay after a renewal", () => {
  for (const [name, make] of BODIES) {
    it(`sends ${name} again, byte for byte, with the new token`, async () => {
      const { clock, server, source, seen } = replaying();
      await source.get();
      clock.advance(5_000);
      server.revokeAll();
      const { input, init } = make();
      const response = await source.fetch(input, init);
      expect(response.status).toBe(200);
      expect(seen).toHaveLength(2);
      const [first, replay] = seen as [Seen, Seen];
      expect(replay.body).toBe(first.body);
      expect(replay.contentType).toBe(first.contentType);
      expect(first.authorization).toBe("Bearer at-1");
      expect(replay.authorization).toBe("Bearer at-2");
      if (name !== "no body") expect(first.body).not.toBe("");
    });
  }

  it("sends the body as it was when called, though the caller changes it before the replay", async () => {
    const { clock, server, source, seen } = replaying();
    await source.get();
    clock.advance(5_000);
    server.revokeAll();
    const bytes = new TextEncoder().encode("amount=1");
    const params = new URLSearchParams({ amount: "2" });
    const pending = [
      source.fetch(URL_, { method: "POST", body: bytes }),
      source.fetch(URL_, { method: "POST", body: params }),
    ];
    bytes.set(new TextEncoder().encode("amount=9"));
    params.set("amount", "999999");
    for (const response of await Promise.all(pending)) expect(response.status).toBe(200);
    expect(seen.map((call) => call.body).toSorted()).toEqual([
      "amount=1",
      "amount=1",
      "amount=2",
      "amount=2",
    ]);
  });

  it("sets the token on a request of its own, never on the caller's", async () => {
    const { source, seen } = replaying();
    const mine = new Request(URL_, { headers: { accept: "application/json" } });
    expect((await source.fetch(mine)).status).toBe(200);
    expect(seen[0]?.authorization).toBe("Bearer at-1");
    expect(mine.headers.get("authorization")).toBeNull();
  });
});
