/**
 * A trusted caller of `/provider-token` (or RPC `providerToken`) says the provider refused the
 * token it was given — revoked early, or the provider restarted and forgot it (issue 11.7). The
 * broker renews once for the whole fleet: only the token it still holds, never one younger than
 * the cooldown, and however many callers complain, one auth call.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { ProviderTokenAnswer } from "../../src/broker.ts";
import { createBrokerService } from "../../worker/rpc/service.ts";
import { COMPLAINT_COOLDOWN_MS } from "../../worker/upstream/provider-token.ts";
import { brokerWorld, quietLogs, SHOP, type World } from "../support/broker.ts";

const SCOPE = "papaya:payments";
const AUTH = "POST /papaya/token";
const PAYMENTS = "http://emulator.test/papaya/v1/payments";

let logs: ReturnType<typeof quietLogs>;
beforeEach(() => {
  logs = quietLogs();
});

async function providerToken(
  send: World["send"],
  refused?: string,
): Promise<{ status: number; body: ProviderTokenAnswer }> {
  const params = new URLSearchParams({ scope: SCOPE });
  if (refused !== undefined) params.set("refused_token", refused);
  const response = await send("/provider-token", {
    method: "POST",
    headers: {
      Authorization: `Basic ${btoa(`${SHOP.id}:${SHOP.secret}`)}`,
      "Content-Type": "application/x-www-form-urlencoded",
    },
    body: params.toString(),
  });
  return { status: response.status, body: await response.json<ProviderTokenAnswer>() };
}

/** Whether the emulator's Papaya API takes the token. */
async function accepted(world: World, token: string): Promise<boolean> {
  const response = await world.emulator.fetch(PAYMENTS, {
    headers: { Authorization: `Bearer ${token}` },
  });
  return response.ok;
}

function authCalls(world: World): number {
  return world.emulator.calls()[AUTH] ?? 0;
}

/** The audit lines `provider_token` wrote, parsed. */
function providerTokenLines(): Array<Record<string, unknown>> {
  return logs.log.mock.calls
    .map(([line]) => (typeof line === "string" && line.startsWith("{") ? JSON.parse(line) : {}))
    .filter((line: Record<string, unknown>) => line.event === "provider_token");
}

describe("a provider token the provider refused, reported by a trusted caller", () => {
  it("is renewed, and every later caller gets the new one (before: the dead token for a day)", async () => {
    const world = await brokerWorld();
    const first = await providerToken(world.send);
    expect(first.status).toBe(200);
    world.emulator.revoke(first.body.access_token);
    expect(await accepted(world, first.body.access_token)).toBe(false);
    world.clock.advance(60_000);

    const renewed = await providerToken(world.send, first.body.access_token);
    expect(renewed.status).toBe(200);
    expect(renewed.body.access_token).not.toBe(first.body.access_token);
    expect(await accepted(world, renewed.body.access_token)).toBe(true);
    // Callers that did not complain get the new token too: the old one is gone from the store.
    expect((await providerToken(world.send)).body.access_token).toBe(renewed.body.access_token);
    expect((await providerToken(world.isolate())).body.access_token).toBe(
      renewed.body.access_token,
    );
    expect(authCalls(world)).toBe(2);
  });

  it("costs one auth call however many callers in however many isolates complain at once", async () => {
    const world = await brokerWorld();
    const first = (await providerToken(world.send)).body.access_token;
    world.emulator.revoke(first);
    world.clock.advance(60_000);
    const sends = [world.send, world.isolate(), world.isolate()];
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) => providerToken(sends[i % 3] ?? world.send, first)),
    );
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    const tokens = new Set(answers.map((answer) => answer.body.access_token));
    expect(tokens.size).toBe(1);
    expect(tokens.has(first)).toBe(false);
    expect(authCalls(world)).toBe(2);
    // Late complaints about the old token cost nothing: it is not the one held any more.
    for (const send of sends) {
      expect((await providerToken(send, first)).body.access_token).toBe([...tokens][0]);
    }
    expect(authCalls(world)).toBe(2);
  });

  it("does not renew a token younger than the cooldown, nor on a token that was never ours", async () => {
    const world = await brokerWorld();
    const first = (await providerToken(world.send)).body.access_token;
    world.clock.advance(COMPLAINT_COOLDOWN_MS - 1_000);
    expect((await providerToken(world.send, first)).body.access_token).toBe(first);
    expect((await providerToken(world.send, "eyJhbGciOiJub25lIn0.e30.")).body.access_token).toBe(
      first,
    );
    expect((await providerToken(world.send, `${first}x`)).body.access_token).toBe(first);
    expect(authCalls(world)).toBe(1);
    // Past the cooldown, the same complaint renews.
    world.clock.advance(2_000);
    expect((await providerToken(world.send, first)).body.access_token).not.toBe(first);
    expect(authCalls(world)).toBe(2);
  });

  it("writes what became of each complaint in the audit line, and no token", async () => {
    const world = await brokerWorld();
    const first = (await providerToken(world.send)).body.access_token;
    await providerToken(world.send, first);
    world.clock.advance(COMPLAINT_COOLDOWN_MS);
    const second = (await providerToken(world.send, first)).body.access_token;
    await providerToken(world.send, first);
    const lines = providerTokenLines();
    expect(lines.map((line) => line.complaint)).toEqual([
      undefined,
      "cooldown",
      "renewed",
      "already_renewed",
    ]);
    const text = JSON.stringify(lines);
    expect(text).not.toContain(first);
    expect(text).not.toContain(second);
  });

  it("over RPC: providerToken(scope, { refused }) renews the same way; a wrong type is invalid_request", async () => {
    const world = await brokerWorld();
    const call = async (options?: unknown): Promise<ProviderTokenAnswer> => {
      const ctx = createExecutionContext();
      const Service = createBrokerService(world.broker);
      const context = {
        waitUntil: (promise: Promise<unknown>) => ctx.waitUntil(promise),
        passThroughOnException: () => ctx.passThroughOnException(),
        props: { clientId: SHOP.id },
      } as unknown as ExecutionContext;
      try {
        return await new Service(context, world.env).providerToken(
          SCOPE,
          options as { refused?: string },
        );
      } finally {
        await waitOnExecutionContext(ctx);
      }
    };
    const first = (await call()).access_token;
    world.emulator.revoke(first);
    world.clock.advance(60_000);
    const renewed = (await call({ refused: first })).access_token;
    expect(renewed).not.toBe(first);
    expect(await accepted(world, renewed)).toBe(true);
    expect(authCalls(world)).toBe(2);
    await expect(call({ refused: 42 })).rejects.toThrow(
      "invalid_request: refused must be a string.",
    );
    await expect(call("x")).rejects.toThrow("invalid_request: The options must be an object.");
  });
});
