/** How a token source shows itself in a log: which token it is for, never the token. */
import { describe, expect, it } from "vitest";
import { API_KEY, SECRET } from "../support/double.ts";
import { setup } from "../support/wired-source.ts";

const INSPECT = Symbol.for("nodejs.util.inspect.custom");

describe("a token source in a log", () => {
  it("console.log (Node's inspect symbol) and JSON.stringify show what it is for, and when its token expires", async () => {
    const { source } = setup();
    const inspect = (source as unknown as Record<symbol, () => unknown>)[INSPECT];
    expect(typeof inspect).toBe("function");
    expect(inspect?.call(source)).toEqual({
      TokenSource: { provider: "double", environment: "test", scope: "payments", cached: false },
    });
    const token = await source.get();
    const shown = JSON.stringify([inspect?.call(source), source]);
    expect(JSON.parse(shown)[1]).toMatchObject({ cached: true, expiresAt: token.expiresAt });
    for (const secret of [token.value, SECRET, API_KEY, token.refreshToken ?? "rt-"]) {
      expect(shown).not.toContain(secret);
    }
  });
});
