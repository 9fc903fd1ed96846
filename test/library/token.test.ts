/** Token keeps its secrets out of JSON, String() and enumeration, also read back from KV. */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createKvStore } from "../../src/index.ts";
import { clock, makeToken } from "../support/stored-tokens.ts";

// KV storage is shared by every test in this file: each test uses its own key names.

describe("Token", () => {
  const token = makeToken(Date.now());

  it("keeps secrets out of JSON.stringify", () => {
    for (const json of [JSON.stringify(token), JSON.stringify({ nested: [token] })]) {
      expect(json).not.toContain(token.value);
      expect(json).not.toContain(token.refreshToken);
      expect(json).toContain("[redacted]");
    }
  });

  it("keeps secrets out of String()", () => {
    for (const text of [String(token), `${token}`]) {
      expect(text).not.toContain(token.value);
      expect(text).not.toContain(token.refreshToken);
    }
  });

  it("keeps secrets out of enumeration", () => {
    const values = Object.values(token).map(String);
    expect(values).not.toContain(token.value);
    expect(values).not.toContain(token.refreshToken);
    expect(Object.keys(token)).not.toContain("value");
  });

  it("still redacts a token read back from KV", async () => {
    const time = clock();
    const store = createKvStore(env.TOKENS, { now: time.now });
    await store.set("token:redacted", token);
    const read = await store.get("token:redacted");

    expect(read?.value).toBe(token.value);
    expect(JSON.stringify(read)).not.toContain(token.value);
    expect(String(read)).not.toContain(token.refreshToken);
  });
});
