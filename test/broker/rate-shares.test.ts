/**
 * Client budgets spent from the isolate's share (`worker/rate-share.ts`): a busy client costs
 * one Durable Object call per share, not one per request, and the limit still holds across a
 * fleet — with N isolates a client is never admitted more than the object grants plus N shares,
 * nor refused while more than N shares sit unspent. Failed attempts per source stay exact at
 * the object, whichever isolate sees them.
 */
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { gcraGrant, type RateLimit } from "../../worker/rate-limit.ts";
import { MAX_SHARE, SHARE_LAPSE_MS, shareOf } from "../../worker/rate-share.ts";
import { basic, brokerWorld, form, limitedClient, quietLogs, SHOP } from "../support/broker.ts";

beforeEach(() => {
  quietLogs();
});

/** A RATE_LIMITER that counts the calls made to each object, and what they granted. */
function countingLimiter(): {
  namespace: typeof env.RATE_LIMITER;
  calls: Map<string, number>;
  grants: Map<string, number>;
} {
  const calls = new Map<string, number>();
  const grants = new Map<string, number>();
  const real = env.RATE_LIMITER;
  const names = new Map<string, string>();
  const namespace = {
    idFromName(name: string) {
      const id = real.idFromName(name);
      names.set(id.toString(), name);
      return id;
    },
    get(id: DurableObjectId) {
      const name = names.get(id.toString()) ?? "?";
      const stub = real.get(id);
      return {
        async take(limit: RateLimit, now: number, wanted?: number) {
          calls.set(name, (calls.get(name) ?? 0) + 1);
          const answer = await stub.take(limit, now, wanted);
          if (answer.allowed) grants.set(name, (grants.get(name) ?? 0) + answer.granted);
          return answer;
        },
      };
    },
  } as unknown as typeof env.RATE_LIMITER;
  return { namespace, calls, grants };
}

/** An introspection: the client proves itself and spends one request of its budget. */
function introspect(client: { id: string; secret: string }): [string, RequestInit] {
  const init = form({ token: "x" });
  (init.headers as Record<string, string>).Authorization = basic(client);
  return ["/oauth/introspect", init];
}

describe("shares of a client's budget", () => {
  it("are what the budget regains in a second, at most 1/16 of it and 64; small budgets ask every time", () => {
    expect(shareOf({ requests: 3, windowSeconds: 60 })).toBe(1);
    expect(shareOf({ requests: 20, windowSeconds: 60 })).toBe(1);
    expect(shareOf({ requests: 120, windowSeconds: 60 })).toBe(2);
    expect(shareOf({ requests: 300, windowSeconds: 60 })).toBe(5);
    expect(shareOf({ requests: 160, windowSeconds: 16 })).toBe(10);
    expect(shareOf({ requests: 100, windowSeconds: 1 })).toBe(6);
    expect(shareOf({ requests: 1_000, windowSeconds: 86_400 })).toBe(1);
    expect(shareOf({ requests: 1_000_000, windowSeconds: 1 })).toBe(MAX_SHARE);
  });

  it("GCRA grants up to what the burst still holds, and refuses only when it holds none", () => {
    const limit = { requests: 10, windowSeconds: 10 };
    const first = gcraGrant(undefined, limit, 0, 4);
    expect(first.grant).toEqual({ allowed: true, granted: 4 });
    const second = gcraGrant(first.tat, limit, 0, 100);
    expect(second.grant).toEqual({ allowed: true, granted: 6 });
    expect(gcraGrant(second.tat, limit, 0, 1).grant).toEqual({
      allowed: false,
      retryAfterSeconds: 1,
    });
    // One interval later, exactly one more.
    expect(gcraGrant(second.tat, limit, 1_000, 5).grant).toEqual({ allowed: true, granted: 1 });
  });

  it("a busy client asks the Durable Object once per half share, not once per request", async () => {
    const client = limitedClient("shared-busy", 160, 16);
    const share = shareOf({ requests: 160, windowSeconds: 16 });
    const limiter = countingLimiter();
    const world = await brokerWorld({
      clients: [client],
      vars: { RATE_LIMITER: limiter.namespace },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 100; i++) {
      statuses.push((await world.send(...introspect(client))).status);
      world.clock.advance(10);
    }
    expect(statuses).toEqual(Array(100).fill(200));
    const calls = limiter.calls.get(client.id) ?? 0;
    expect(calls).toBeLessThanOrEqual(Math.ceil(100 / (share / 2)) + 2);
    expect(calls).toBeGreaterThan(0);
  });

  it("three isolates admit a burst of at most the budget, and at least the budget less three shares", async () => {
    const limit = { requests: 160, windowSeconds: 16 };
    const share = shareOf(limit);
    const client = limitedClient("shared-burst", limit.requests, limit.windowSeconds);
    const limiter = countingLimiter();
    const world = await brokerWorld({
      clients: [client],
      vars: { RATE_LIMITER: limiter.namespace },
    });
    const isolates = [world.send, world.isolate(), world.isolate()];
    let admitted = 0;
    const refused = new Set<number>();
    // The clock stands still: the whole burst, and not one request more, is there to be had.
    for (let i = 0; refused.size < isolates.length && i < 1_000; i++) {
      const which = i % isolates.length;
      const send = isolates[which] as (typeof isolates)[number];
      const response = await send(...introspect(client));
      if (response.status === 200) admitted++;
      else {
        expect(response.status).toBe(429);
        refused.add(which);
      }
    }
    expect(refused.size).toBe(3);
    expect(admitted).toBeLessThanOrEqual(limit.requests);
    expect(admitted).toBeGreaterThanOrEqual(limit.requests - isolates.length * share);
    // Whatever was admitted was granted by the object first.
    expect(limiter.grants.get(client.id)).toBeGreaterThanOrEqual(admitted);
    expect(limiter.grants.get(client.id)).toBeLessThanOrEqual(limit.requests);

    // Once the refusals have run out, every isolate gets in again.
    world.clock.advance(limit.windowSeconds * 1000);
    for (const send of isolates) expect((await send(...introspect(client))).status).toBe(200);
  });

  it("under steady overload from three isolates, every window admits at most the object's grants plus three shares", async () => {
    const limit = { requests: 160, windowSeconds: 16 };
    const share = shareOf(limit);
    const interval = (limit.windowSeconds * 1000) / limit.requests;
    const client = limitedClient("shared-steady", limit.requests, limit.windowSeconds);
    const world = await brokerWorld({ clients: [client] });
    const isolates = [world.send, world.isolate(), world.isolate()];
    const admittedAt: number[] = [];
    const STEP = 50;
    const END = 10_000;
    for (let t = 0; t <= END; t += STEP) {
      for (const send of isolates) {
        if ((await send(...introspect(client))).status === 200) admittedAt.push(t);
      }
      world.clock.advance(STEP);
    }
    // What one object alone admits by time t, from a full bucket: the burst, then one per interval.
    const alone = (t: number) => limit.requests + Math.floor(t / interval);
    for (let t = 0; t <= END; t += STEP) {
      const byThen = admittedAt.filter((at) => at <= t).length;
      expect(byThen, `admitted by ${t} ms`).toBeLessThanOrEqual(alone(t));
    }
    // And in every window of the limit's length (here the run is shorter than one): at most the
    // budget plus what regenerates, plus what three isolates held when it opened.
    const windowMs = limit.windowSeconds * 1000;
    for (let start = 0; start <= END; start += STEP) {
      const inWindow = admittedAt.filter((at) => at >= start && at < start + windowMs).length;
      expect(inWindow).toBeLessThanOrEqual(alone(windowMs) + isolates.length * share);
    }
    // Nothing is starved: at most three shares short of what the object alone would admit, and
    // one interval each for the refusals' rounding to whole seconds.
    const shortBy = alone(END) - admittedAt.length;
    expect(shortBy).toBeLessThanOrEqual(isolates.length * share + isolates.length * 10);
  });

  it("what an isolate holds unspent lapses after a second, so other isolates are not refused for long", async () => {
    const limit = { requests: 160, windowSeconds: 16 };
    const client = limitedClient("shared-lapse", limit.requests, limit.windowSeconds);
    const world = await brokerWorld({ clients: [client] });
    const busy = world.isolate();
    // One isolate fills its share, then goes quiet.
    for (let i = 0; i < 4; i++) expect((await busy(...introspect(client))).status).toBe(200);
    // The other spends the rest of the burst and is refused.
    let admitted = 0;
    while (admitted <= limit.requests) {
      const response = await world.send(...introspect(client));
      if (response.status !== 200) break;
      admitted++;
    }
    expect(admitted).toBeLessThanOrEqual(limit.requests - 4);
    expect(admitted).toBeGreaterThanOrEqual(limit.requests - 4 - shareOf(limit));
    // A second later the quiet isolate's share has lapsed; it must ask like everyone else, and
    // the object has regained just what one second regains.
    world.clock.advance(SHARE_LAPSE_MS);
    let later = 0;
    for (let i = 0; i < 30; i++) if ((await busy(...introspect(client))).status === 200) later++;
    expect(later).toBeLessThanOrEqual(
      SHARE_LAPSE_MS / ((limit.windowSeconds * 1000) / limit.requests),
    );
  });

  it("small budgets stay exact across isolates: a budget of 4 admits 4 requests from 3 isolates", async () => {
    const client = limitedClient("shared-small", 4);
    const world = await brokerWorld({ clients: [client] });
    const isolates = [world.send, world.isolate(), world.isolate()];
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) {
      statuses.push(
        (await (isolates[i % 3] as (typeof isolates)[number])(...introspect(client))).status,
      );
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429, 429, 429, 429]);
  });

  it("a limiter that cannot be reached lets proven clients through and says so, never a 5xx", async () => {
    const { error } = quietLogs();
    const broken = {
      idFromName: (name: string) => env.RATE_LIMITER.idFromName(name),
      get: () => ({
        take: async () => {
          throw new Error("Durable Object reset");
        },
      }),
    } as unknown as typeof env.RATE_LIMITER;
    const world = await brokerWorld({ vars: { RATE_LIMITER: broken } });
    for (let i = 0; i < 3; i++) expect((await world.send(...introspect(SHOP))).status).toBe(200);
    const lines = error.mock.calls.map(([line]) => JSON.parse(String(line)) as { event: string });
    expect(lines.map((line) => line.event)).toEqual(Array(3).fill("rate_limiter_unavailable"));
  });
});

describe("failed attempts across isolates", () => {
  it("are counted one by one at the object: the 21st failure is refused whichever isolate sees it", async () => {
    const limiter = countingLimiter();
    const world = await brokerWorld({ vars: { RATE_LIMITER: limiter.namespace } });
    const isolates = [world.send, world.isolate(), world.isolate()];
    const address = "203.0.113.90";
    const statuses: number[] = [];
    for (let i = 0; i < 24; i++) {
      const send = isolates[i % 3] as (typeof isolates)[number];
      const init = form({ grant_type: "client_credentials" });
      const headers = init.headers as Record<string, string>;
      headers.Authorization = basic({ id: SHOP.id, secret: `guess-${i}` });
      headers["CF-Connecting-IP"] = address;
      statuses.push((await send("/oauth/token", init)).status);
    }
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(statuses.slice(20)).toEqual(Array(4).fill(429));
    // Every failure was one call, until each isolate had met the refusal once.
    expect(limiter.calls.get(`failures from ${address}`)).toBe(23);
    // The client itself, from its own address, is not affected.
    expect((await world.send(...introspect(SHOP))).status).toBe(200);
  });
});
