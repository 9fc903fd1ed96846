/**
 * Signing keys without BROKER_SIGNING_KEYS: generated once, kept (encrypted) in KV across
 * restarts, rotated after BROKER_KEY_ROTATION_SECONDS, the old key published until its last
 * token has expired. Time moves by the clock, never by waiting.
 */
import { beforeEach, describe, expect, it } from "vitest";
import {
  needsRotation,
  PUBLISH_AFTER_RETIREMENT_MS,
  prune,
  rotate,
  type StoredKey,
} from "../../worker/tokens/signing-keys.ts";
import { brokerWorld, headerOf, quietLogs, SHOP, type World } from "../support/broker.ts";

const RING = "edgetoken:broker:v1:signing-keys";
const HOUR = 3_600_000;

beforeEach(() => {
  quietLogs();
});

async function kids(world: World): Promise<string[]> {
  const jwks = await (await world.send("/.well-known/jwks.json")).json<{
    keys: { kid: string }[];
  }>();
  return jwks.keys.map((key) => key.kid);
}

async function signingKid(world: World, params: Record<string, string> = {}): Promise<string> {
  return String(headerOf((await world.token(SHOP, params)).access_token).kid);
}

async function active(world: World, token: string): Promise<boolean> {
  const response = await world.post("/oauth/introspect", SHOP, { token });
  return (await response.json<{ active: boolean }>()).active;
}

describe("development signing keys", () => {
  it("are generated once and survive a restart, sealed in KV", async () => {
    const world = await brokerWorld({ keys: "development" });
    const kid = await signingKid(world);
    expect(await kids(world)).toEqual([kid]);
    const { access_token } = await world.token(SHOP);

    world.restart();
    expect(await signingKid(world)).toBe(kid);
    expect(await active(world, access_token)).toBe(true);

    const stored = await world.env.TOKENS.get(RING, "text");
    expect(stored).toMatch(/^et1\./);
    expect(stored).not.toContain('"d"');
  });

  it("rotate after BROKER_KEY_ROTATION_SECONDS; the old key stays published until its last token expires", async () => {
    const world = await brokerWorld({
      keys: "development",
      vars: { BROKER_KEY_ROTATION_SECONDS: "3600" },
    });
    const first = await signingKid(world);

    // The last moment the first key signs: a token of the longest life (900 s).
    world.clock.advance(HOUR - 1_000);
    const late = await world.token(SHOP, { expires_in: "900" });
    expect(headerOf(late.access_token).kid).toBe(first);

    world.clock.advance(1_000);
    const second = await signingKid(world);
    expect(second).not.toBe(first);
    expect(await kids(world)).toEqual([second, first]);

    // 14 minutes later the late token is still live, and still verifies.
    world.clock.advance(14 * 60_000);
    expect(await active(world, late.access_token)).toBe(true);
    expect(await kids(world)).toEqual([second, first]);

    // Once it cannot be live any more (plus a minute of skew), the old key is gone.
    world.clock.advance(PUBLISH_AFTER_RETIREMENT_MS - 14 * 60_000);
    expect(await kids(world)).toEqual([second]);
    expect(await active(world, late.access_token)).toBe(false);

    // A restarted isolate reads the same ring.
    world.restart();
    expect(await signingKid(world)).toBe(second);
  });
});

describe("the key ring, as pure functions", () => {
  const key = (kid: string, createdAt: number, retiredAt?: number): StoredKey => ({
    jwk: { kty: "EC", crv: "P-256", x: "x", y: "y", d: "d", kid },
    createdAt,
    ...(retiredAt === undefined ? {} : { retiredAt }),
  });

  it("needs a key when empty or when the current one has reached the rotation age", () => {
    expect(needsRotation({ keys: [] }, 0, 1000)).toBe(true);
    expect(needsRotation({ keys: [key("a", 0)] }, 999, 1000)).toBe(false);
    expect(needsRotation({ keys: [key("a", 0)] }, 1000, 1000)).toBe(true);
  });

  it("puts the new key first and retires the one it replaces", () => {
    const ring = rotate({ keys: [key("a", 0)] }, key("b", 50), 50);
    expect(ring.keys.map((k) => [k.jwk.kid, k.retiredAt])).toEqual([
      ["b", undefined],
      ["a", 50],
    ]);
  });

  it("drops a retired key only when its last token has expired", () => {
    const ring = { keys: [key("b", 50), key("a", 0, 50)] };
    expect(prune(ring, 50 + PUBLISH_AFTER_RETIREMENT_MS - 1).keys).toHaveLength(2);
    expect(prune(ring, 50 + PUBLISH_AFTER_RETIREMENT_MS).keys.map((k) => k.jwk.kid)).toEqual(["b"]);
  });
});
