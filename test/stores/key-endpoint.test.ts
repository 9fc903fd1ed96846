/**
 * The store key names where tokens come from: a token obtained from the emulator is never adopted
 * by a source with the same credentials pointed at another host (the real sandbox, say).
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createEmulator } from "../../src/emulator/index.ts";
import {
  createKvStore,
  createTokenSource,
  ipospays,
  oauth2ClientCredentials,
  type Provider,
  papaya,
  paymentsGate,
  storeKeyName,
} from "../../src/index.ts";
import { Clock } from "../support/double.ts";

const merchant = { apiKey: "demo-merchant-key", secretKey: "demo-merchant-secret" };

describe("the store key and the provider's host", () => {
  it("a source pointed at another host does not adopt the emulator's token from KV", async () => {
    const clock = new Clock();
    const emulator = createEmulator({ now: clock.now });
    const store = createKvStore(env.TOKENS, { now: clock.now });
    const runtime = { fetch: emulator.fetch, now: clock.now, random: () => 0 };
    const local = createTokenSource(
      ipospays({ ...merchant, scope: "Recurring", baseUrl: "https://emulator.test/ipospays" }),
      { store, runtime },
    );
    // The same credentials and scope, another host (here the same emulator under another name).
    const sandbox = createTokenSource(
      ipospays({ ...merchant, scope: "Recurring", baseUrl: "https://sandbox.test/ipospays" }),
      { store, runtime },
    );
    const fromEmulator = await local.get();
    const fromSandbox = await sandbox.get();
    expect(fromSandbox.value).not.toBe(fromEmulator.value);
    expect(emulator.calls()["POST /ipospays/v1/authenticate-token"]).toBe(2);
  });

  it("every seeded provider's key changes with its host, and never names a secret", async () => {
    const pairs: [Provider, Provider, string][] = [
      [
        ipospays({ ...merchant, scope: "Recurring", baseUrl: "https://a.test" }),
        ipospays({ ...merchant, scope: "Recurring", baseUrl: "https://b.test" }),
        merchant.secretKey,
      ],
      [
        paymentsGate({
          accountId: "00000000-0000-4000-8000-000000000001",
          publicKey: "c2VjcmV0LWtleQ==",
          baseUrl: "https://a.test",
        }),
        paymentsGate({
          accountId: "00000000-0000-4000-8000-000000000001",
          publicKey: "c2VjcmV0LWtleQ==",
          baseUrl: "https://b.test",
        }),
        "c2VjcmV0LWtleQ==",
      ],
      [
        papaya({ apiKey: "k", clientSecret: "papaya-secret", baseUrl: "https://a.test" }),
        papaya({ apiKey: "k", clientSecret: "papaya-secret", baseUrl: "https://b.test" }),
        "papaya-secret",
      ],
      [
        oauth2ClientCredentials({
          tokenUrl: "https://id.test/realms/a/token",
          clientId: "c",
          clientSecret: "oauth-secret",
        }),
        oauth2ClientCredentials({
          tokenUrl: "https://id.test/realms/b/token",
          clientId: "c",
          clientSecret: "oauth-secret",
        }),
        "oauth-secret",
      ],
    ];
    for (const [a, b, secret] of pairs) {
      const [nameA, nameB] = [await storeKeyName(a.key), await storeKeyName(b.key)];
      expect(nameA).not.toBe(nameB);
      expect(nameA.startsWith("edgetoken:v2:")).toBe(true);
      expect(`${nameA}${nameB}`).not.toContain(secret);
    }
  });
});
