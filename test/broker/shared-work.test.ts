/**
 * Work the broker shares between requests (the state built from its configuration, the signing
 * keys loaded from KV) must not be tied to the request that happened to start it: in workerd a
 * request may not touch I/O another request started, and a waiter on a promise another request
 * owns is cancelled with it. These requests go to the Worker's own entry (`exports.default`),
 * each in a request context of its own, against wrangler.toml's configuration (development
 * signing keys in KV).
 */
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { createEncryptedKv } from "../../src/index.ts";
import { devKeySource } from "../../worker/tokens/signing-keys.ts";
import { basic, quietLogs } from "../support/broker.ts";

beforeEach(() => {
  quietLogs();
});

const DEMO = { id: "demo", secret: "demo-secret" };

function tokenRequest(signal?: AbortSignal): Promise<Response> {
  return exports.default.fetch("http://127.0.0.1:8787/oauth/token", {
    method: "POST",
    headers: {
      Authorization: basic(DEMO),
      "Content-Type": "application/x-www-form-urlencoded",
    },
    body: "grant_type=client_credentials&scope=papaya:payments",
    ...(signal === undefined ? {} : { signal }),
  });
}

describe("work shared between requests", () => {
  it("a cold start under concurrent requests: the first one cancelled, every other gets its token", async () => {
    // The first request starts the shared work (state, the development key load) and goes away.
    const first = new AbortController();
    const abandoned = tokenRequest(first.signal).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 0));
    first.abort();
    const waiting = Array.from({ length: 20 }, () => tokenRequest());
    const answers = await Promise.all(waiting);
    await abandoned;
    const statuses = answers.map((answer) => answer.status);
    const bodies = await Promise.all(answers.map((answer) => answer.text()));
    expect(
      statuses,
      bodies.find((body) => !body.includes("access_token")),
    ).toEqual(Array(20).fill(200));
    // They all verify with the one published key set.
    const jwks = await (
      await exports.default.fetch("http://127.0.0.1:8787/.well-known/jwks.json")
    ).json<{
      keys: Array<{ kid: string }>;
    }>();
    const kids = new Set(
      bodies.map((body) => {
        const token = (JSON.parse(body) as { access_token: string }).access_token;
        const [header = ""] = token.split(".");
        return (
          JSON.parse(atob(header.replaceAll("-", "+").replaceAll("_", "/"))) as { kid: string }
        ).kid;
      }),
    );
    expect(kids.size).toBe(1);
    expect(jwks.keys.map((key) => key.kid)).toContain([...kids][0]);
  });
});

describe("development signing keys", () => {
  const T0 = Date.UTC(2026, 10, 1);

  /** The broker's KV, encrypted as the broker keeps keys, under a prefix of the test's own. */
  function kvFor(name: string, hang: { first: boolean }) {
    const encrypted = createEncryptedKv(env.TOKENS, {
      keys: [{ id: "test-keys", secret: `test-key-secret-for-development-keys-${name}` }],
    });
    return {
      ...encrypted,
      get: ((key: string, type: "text") => {
        // The request that asked first is cancelled: its KV read never comes back.
        if (hang.first) {
          hang.first = false;
          return new Promise(() => {});
        }
        return encrypted.get(key, type);
      }) as typeof encrypted.get,
    };
  }

  async function settle<T>(pending: Promise<T>, ms = 2_000): Promise<T | "still waiting"> {
    return Promise.race([
      pending,
      new Promise<"still waiting">((resolve) => setTimeout(() => resolve("still waiting"), ms)),
    ]);
  }

  it("a request waiting for keys does not wait on the request that started the load", async () => {
    await env.TOKENS.delete("edgetoken:broker:v1:signing-keys");
    const source = devKeySource(kvFor("waiter", { first: true }), {
      rotationSeconds: 86_400,
      log: () => {},
    });
    const cancelled = source.current(T0);
    const waiter = await settle(source.current(T0));
    expect(waiter).not.toBe("still waiting");
    expect(waiter === "still waiting" ? undefined : waiter.signing.kid).toMatch(/^[\w-]{43}$/);
    void cancelled;
  });

  it("concurrent cold requests all sign with one key, the one KV keeps", async () => {
    await env.TOKENS.delete("edgetoken:broker:v1:signing-keys");
    const source = devKeySource(kvFor("cold", { first: false }), {
      rotationSeconds: 86_400,
      log: () => {},
    });
    const sets = await Promise.all(Array.from({ length: 20 }, () => source.current(T0)));
    const kids = new Set(sets.map((set) => set.signing.kid));
    expect(kids.size).toBe(1);
    // Another isolate, reading KV, agrees.
    const other = devKeySource(kvFor("cold", { first: false }), {
      rotationSeconds: 86_400,
      log: () => {},
    });
    expect((await other.current(T0 + 1)).signing.kid).toBe([...kids][0]);
  });
});
