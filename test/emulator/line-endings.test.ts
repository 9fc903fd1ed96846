/**
 * How the emulator's JSON ends. Its own answers (the index, the controls, its 404 and 405) end
 * with a newline, so curl leaves the shell prompt on a line of its own. A provider endpoint's
 * answer is exactly the serialized JSON, as the real APIs send it: the emulator adds nothing to
 * the wire PROVIDERS.md describes.
 */
import { describe, expect, it } from "vitest";
import {
  BASE,
  get,
  ipospaysToken,
  MERCHANT,
  PAPAYA,
  PATHS,
  payments,
  post,
  postJson,
  setup,
  transact,
} from "../support/emulator-wire.ts";

describe("the emulator's own JSON", () => {
  it.each([
    ["GET", "/"],
    ["POST", "/"],
    ["GET", "/_emulator/calls"],
    ["GET", "/_emulator/jwks"],
    ["POST", "/_emulator/reset"],
    ["POST", "/_emulator/clock"],
    ["GET", "/_emulator/nothing"],
    ["GET", "/nowhere"],
    ["GET", PATHS.ipospaysToken],
  ])("%s %s ends with a newline", async (method, path) => {
    const { emulator } = setup();
    const response = await emulator.fetch(new Request(`${BASE}${path}`, { method }));
    expect(response.headers.get("content-type")).toBe("application/json");
    const text = await response.text();
    expect(text.endsWith("}\n")).toBe(true);
    expect(() => JSON.parse(text)).not.toThrow();
  });
});

describe("a provider's JSON", () => {
  it("is the serialized body and nothing after it: success, refusal, protected endpoint, fault", async () => {
    const { emulator } = setup();
    const token = await ipospaysToken(emulator);
    emulator.addFault({ provider: "papaya", endpoint: "token", kind: "malformed", count: 1 });
    const responses = [
      await emulator.fetch(post(PATHS.ipospaysToken, { ...MERCHANT, scope: "Recurring" })),
      await emulator.fetch(post(PATHS.ipospaysToken)),
      await transact(emulator, token, { amount: 1 }),
      await emulator.fetch(postJson(PATHS.papayaToken, PAPAYA)),
      await payments(emulator, "not-a-token"),
      await emulator.fetch(get(PATHS.papayaApi)),
    ];
    for (const response of responses) {
      const text = await response.text();
      expect(text).toBe(JSON.stringify(JSON.parse(text)));
    }
  });
});
