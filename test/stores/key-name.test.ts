/** storeKeyName and fingerprint: the store key a token lives under. */
import { describe, expect, it } from "vitest";
import { fingerprint, storeKeyName } from "../../src/index.ts";

describe("storeKeyName", () => {
  const key = {
    provider: "ipospays",
    environment: "sandbox",
    credentialId: "api-key-SECRET-12345",
    scope: "PaymentTokenization",
  };

  it("names provider, environment, fingerprint and scope", async () => {
    const name = await storeKeyName(key);
    expect(name).toBe("edgetoken:v1:ipospays:sandbox:4-BBxT1qHg7Jv8-n:PaymentTokenization");
    expect(name.startsWith("edgetoken:v1:ipospays:sandbox:")).toBe(true);
    expect(name.endsWith(":PaymentTokenization")).toBe(true);
  });

  it("is the same for the same input", async () => {
    expect(await storeKeyName({ ...key })).toBe(await storeKeyName(key));
  });

  it("differs when the credential id differs", async () => {
    const other = await storeKeyName({ ...key, credentialId: "api-key-SECRET-12346" });
    expect(other).not.toBe(await storeKeyName(key));
  });

  it("differs when the scope or environment differs", async () => {
    const base = await storeKeyName(key);
    expect(await storeKeyName({ ...key, scope: "Refunds" })).not.toBe(base);
    expect(await storeKeyName({ ...key, environment: "production" })).not.toBe(base);
  });

  it("never contains the credential id", async () => {
    const name = await storeKeyName(key);
    expect(name).not.toContain(key.credentialId);
    expect(name).not.toContain("SECRET");
  });

  it("URI-encodes a scope with colons or spaces", async () => {
    const name = await storeKeyName({ ...key, scope: "read:payments write" });
    expect(name.endsWith(":read%3Apayments%20write")).toBe(true);
    expect(name.split(":")).toHaveLength(6);
  });

  it("URI-encodes colons in provider and environment", async () => {
    const name = await storeKeyName({ ...key, provider: "a:b", environment: "eu west" });
    expect(name.startsWith("edgetoken:v1:a%3Ab:eu%20west:")).toBe(true);
    expect(name.split(":")).toHaveLength(6);
  });
});

describe("fingerprint", () => {
  it("is the first 96 bits of SHA-256, base64url", async () => {
    expect(await fingerprint("abc")).toBe("ungWv48Bz-pBQUDe");
    expect(await fingerprint("api-key-SECRET-12345")).toBe("4-BBxT1qHg7Jv8-n");
  });

  it("is stable and distinguishes inputs", async () => {
    expect(await fingerprint("client-1")).toBe(await fingerprint("client-1"));
    expect(await fingerprint("client-1")).not.toBe(await fingerprint("client-2"));
    expect(await fingerprint("client-1")).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });
});
