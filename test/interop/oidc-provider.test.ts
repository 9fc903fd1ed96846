/**
 * The generic OAuth 2.0 provider against a real authorization server nobody here wrote (issue
 * 11): panva's certified `oidc-provider`, started in Node by `oidc-server.mjs` (vitest's global
 * setup) and reached over 127.0.0.1 from inside workerd, through the library's public API only.
 * Both client-authentication methods, `scope` and RFC 8707 `resource`, RFC 6749 §5.2 errors as
 * that server words them, and a token it revoked (RFC 7009) renewed once, however many requests
 * it refused.
 */
import { describe, expect, inject, it } from "vitest";
import {
  createTokenSource,
  type EdgeTokenError,
  oauth2ClientCredentials,
  type TokenSourceEvent,
} from "../../src/index.ts";
import { CLIENTS, RESOURCE } from "./oidc-clients.mjs";

const issuer = inject("oidcIssuer");
const API = `${issuer}/api/payments`;

type Method = "client_secret_basic" | "client_secret_post";
const CLIENT_OF: Record<Method, { id: string; secret: string }> = {
  client_secret_basic: CLIENTS.basic,
  client_secret_post: CLIENTS.post,
};

function provider(
  method: Method,
  extra: { scope?: string; resource?: string; secret?: string } = {},
) {
  const client = CLIENT_OF[method];
  return oauth2ClientCredentials({
    tokenUrl: `${issuer}/token`,
    clientId: client.id,
    clientSecret: extra.secret ?? client.secret,
    authMethod: method,
    scope: extra.scope ?? "payments",
    resource: extra.resource ?? RESOURCE,
    // Fail fast: a configuration mistake must not be retried anyway.
    requestPolicy: { retries: 0 },
  });
}

async function tokenCalls(): Promise<number> {
  const counts = (await (await fetch(`${issuer}/_counts`)).json()) as { token: number };
  return counts.token;
}

/** RFC 7009 at the authorization server: the client the token was issued to revokes it. */
async function revoke(method: Method, token: string): Promise<void> {
  const client = CLIENT_OF[method];
  const response = await fetch(`${issuer}/token/revocation`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      token,
      token_type_hint: "access_token",
      client_id: client.id,
      client_secret: client.secret,
    }).toString(),
  });
  expect(response.status).toBe(200);
}

async function refusal(promise: Promise<unknown>): Promise<EdgeTokenError> {
  try {
    await promise;
  } catch (error) {
    return error as EdgeTokenError;
  }
  throw new Error("not refused");
}

describe.each<Method>(["client_secret_basic", "client_secret_post"])(
  "oauth2ClientCredentials against oidc-provider, %s",
  (method) => {
    it("obtains a token for a scope and a resource, which the protected API takes", async () => {
      const source = createTokenSource(provider(method, { scope: "payments refunds" }));
      const token = await source.get();
      expect(token.expiresAt - token.obtainedAt).toBeGreaterThan(100_000);
      expect(token.expiresAt - token.obtainedAt).toBeLessThanOrEqual(120_000);
      const response = await source.fetch(API, { method: "POST", body: "{}" });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ paid: true, scope: "payments refunds" });
    });

    it("a wrong secret is `credentials`, asked once", async () => {
      const before = await tokenCalls();
      const error = await refusal(createTokenSource(provider(method, { secret: "wrong" })).get());
      expect(error.code).toBe("credentials");
      expect(error.providerCode).toBe("invalid_client");
      expect(error.retryable).toBe(false);
      expect(await tokenCalls()).toBe(before + 1);
      expect(JSON.stringify(error)).not.toContain(CLIENT_OF[method].secret);
    });

    it("a scope this client may not have is `scope`", async () => {
      const error = await refusal(createTokenSource(provider(method, { scope: "payouts" })).get());
      expect(error.code).toBe("scope");
      expect(error.providerCode).toBe("invalid_scope");
      expect(error.retryable).toBe(false);
    });

    it("a resource the server does not know is `configuration` (RFC 8707 invalid_target), not an outage", async () => {
      const before = await tokenCalls();
      const source = createTokenSource(provider(method, { resource: "https://elsewhere.test/" }));
      const error = await refusal(source.get());
      expect(error.code).toBe("configuration");
      expect(error.providerCode).toBe("invalid_target");
      expect(error.retryable).toBe(false);
      // Remembered as a permanent failure: the next get() does not ask again.
      expect((await refusal(source.get())).code).toBe("configuration");
      expect(await tokenCalls()).toBe(before + 1);
    });

    it("a token the server revoked is renewed once for every request it refused, and they are replayed", async () => {
      const events: TokenSourceEvent["type"][] = [];
      let offset = 0;
      const source = createTokenSource(provider(method), {
        onEvent: (event) => events.push(event.type),
        runtime: { now: () => Date.now() + offset },
      });
      const first = await source.get();
      // Past the renewal cooldown (1 s): a 401 that soon after issue is the request's fault.
      offset = 2_000;
      await revoke(method, first.value);
      expect(
        (await fetch(API, { headers: { authorization: `Bearer ${first.value}` } })).status,
      ).toBe(401);
      const before = await tokenCalls();
      const answers = await Promise.all(
        Array.from({ length: 6 }, () => source.fetch(API, { method: "POST", body: "{}" })),
      );
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200]);
      expect(await tokenCalls()).toBe(before + 1);
      expect((await source.get()).value).not.toBe(first.value);
      expect(events.filter((type) => type === "renewing")).toHaveLength(1);
    });
  },
);

describe("the refresh point of a real server's 120 s token", () => {
  it("is half its life, not 25 % before expiry: the floor (30 s) is kept twice", async () => {
    let now = Date.now();
    const source = createTokenSource(provider("client_secret_basic"), {
      refreshJitter: 0,
      runtime: { now: () => now },
    });
    const first = await source.get();
    const before = await tokenCalls();
    now = first.obtainedAt + 59_000;
    expect(await source.get()).toBe(first);
    expect(await tokenCalls()).toBe(before);
    now = first.obtainedAt + 61_000;
    // Past the refresh point the cached token is still served while a refresh runs behind it.
    expect(await source.get()).toBe(first);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await tokenCalls()).toBe(before + 1);
    expect((await source.get()).value).not.toBe(first.value);
  });
});
