/**
 * Revocation on the hot path without a KV read per request (`worker/tokens/revocations.ts`):
 * the isolate trusts a "not revoked" answer for REVOCATION_RECHECK_MS, refuses what it revoked
 * itself at once, and what another isolate revoked within that interval (plus KV's propagation
 * across colos, which local KV does not have).
 */
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { REVOCATION_RECHECK_MS } from "../../worker/tokens/revocations.ts";
import { basic, brokerWorld, form, quietLogs, SHOP, type World } from "../support/broker.ts";

beforeEach(() => {
  quietLogs();
});

const REVOKED = "edgetoken:broker:v1:revoked:";

/** TOKENS, counting the reads of revocations. */
function countingKv(): { kv: KVNamespace; reads: () => number } {
  let reads = 0;
  const real = env.TOKENS;
  const kv = new Proxy(real, {
    get(target, property) {
      if (property === "get") {
        return (key: string, ...rest: unknown[]) => {
          if (key.startsWith(REVOKED)) reads++;
          return (target.get as (...args: unknown[]) => unknown)(key, ...rest);
        };
      }
      const value = Reflect.get(target, property);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { kv, reads: () => reads };
}

type Send = World["send"];

function pay(send: Send, token: string): Promise<number> {
  return send("/proxy/papaya/v1/payments", {
    headers: { Authorization: `Bearer ${token}` },
  }).then((response) => response.status);
}

async function active(send: Send, token: string): Promise<boolean> {
  const init = form({ token });
  (init.headers as Record<string, string>).Authorization = basic(SHOP);
  const response = await send("/oauth/introspect", init);
  return (await response.json<{ active: boolean }>()).active;
}

async function revoke(send: Send, token: string): Promise<void> {
  const init = form({ token });
  (init.headers as Record<string, string>).Authorization = basic(SHOP);
  expect((await send("/oauth/revoke", init)).status).toBe(200);
}

describe("revocation, cached per isolate", () => {
  it("a token used again and again costs one revocation read per isolate per recheck interval", async () => {
    const { kv, reads } = countingKv();
    const world = await brokerWorld({ vars: { TOKENS: kv } });
    const { access_token } = await world.token(SHOP, { scope: "papaya:payments" });
    for (let i = 0; i < 10; i++) expect(await pay(world.send, access_token)).toBe(200);
    expect(await active(world.send, access_token)).toBe(true);
    expect(reads()).toBe(1);
    // Another isolate reads for itself.
    const other = world.isolate();
    expect(await pay(other, access_token)).toBe(200);
    expect(reads()).toBe(2);
    // Past the interval, each asks KV again, once.
    world.clock.advance(REVOCATION_RECHECK_MS);
    for (let i = 0; i < 5; i++) expect(await pay(world.send, access_token)).toBe(200);
    expect(reads()).toBe(3);
    // A revoked token presented again costs no read either.
    await revoke(world.send, access_token);
    const before = reads();
    for (let i = 0; i < 5; i++) expect(await pay(world.send, access_token)).toBe(401);
    expect(reads()).toBe(before);
  });

  it("the isolate that revokes a token refuses it at once; another isolate within the recheck interval", async () => {
    const world = await brokerWorld();
    const other = world.isolate();
    const { access_token } = await world.token(SHOP, { scope: "papaya:payments" });
    // Both isolates have seen the token live.
    expect(await pay(world.send, access_token)).toBe(200);
    expect(await pay(other, access_token)).toBe(200);
    await revoke(world.send, access_token);
    expect(await pay(world.send, access_token)).toBe(401);
    expect(await active(world.send, access_token)).toBe(false);
    world.clock.advance(REVOCATION_RECHECK_MS);
    expect(await pay(other, access_token)).toBe(401);
    expect(await active(other, access_token)).toBe(false);
  });

  it("a revoked parent kills its exchanged children in another isolate within the interval, though the children were seen live", async () => {
    const world = await brokerWorld();
    const other = world.isolate();
    const parent = (await world.token(SHOP)).access_token;
    const exchanged = await world.post("/oauth/token", SHOP, {
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token: parent,
      subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
      scope: "papaya:payments",
    });
    const child = (await exchanged.json<{ access_token: string }>()).access_token;
    expect(await pay(other, child)).toBe(200);
    await revoke(world.send, parent);
    expect(await pay(world.send, child)).toBe(401);
    world.clock.advance(REVOCATION_RECHECK_MS);
    expect(await pay(other, child)).toBe(401);
  });
});
