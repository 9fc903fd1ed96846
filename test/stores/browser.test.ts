/**
 * edgetoken/browser in workerd: the BroadcastChannel store's reading of what other tabs send (a
 * channel per "tab" on a hub that delivers each message to the others, structured-cloned and a
 * turn later, as browsers do), and the Web Locks lease where there are no locks. The real
 * channel and the real locks, in three Chromium tabs: test/runtimes/tabs.mjs.
 */
import { describe, expect, it } from "vitest";
import {
  type BroadcastChannelLike,
  createBroadcastStore,
  createWebLocksLease,
} from "../../src/browser.ts";
import { createTokenSource, type Provider, Token } from "../../src/index.ts";
import { encodeToken } from "../../src/stores/record.ts";
import { clock, expectSameToken, makeToken, seconds } from "../support/stored-tokens.ts";

const KEY = "edgetoken:v2:broker:test:session";

/** Channels that hear each other, as the tabs of one origin do. */
function hub() {
  const members = new Set<{ listeners: Array<(event: { data: unknown }) => void> }>();
  const sent: unknown[] = [];
  const channel = (): BroadcastChannelLike & { inject(data: unknown): void } => {
    const me = { listeners: [] as Array<(event: { data: unknown }) => void> };
    members.add(me);
    return {
      postMessage(message) {
        sent.push(message);
        const data = structuredClone(message);
        for (const other of members) {
          if (other === me) continue;
          setTimeout(() => {
            for (const listener of other.listeners) listener({ data });
          }, 0);
        }
      },
      addEventListener(_type, listener) {
        me.listeners.push(listener);
      },
      close() {
        members.delete(me);
      },
      inject(data) {
        for (const listener of me.listeners) listener({ data });
      },
    };
  };
  return { channel, sent };
}

const turn = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

describe("createBroadcastStore", () => {
  it("hands a token one tab stores to the others", async () => {
    const time = clock();
    const tabs = hub();
    const a = createBroadcastStore({ now: time.now, channel: tabs.channel() });
    const b = createBroadcastStore({ now: time.now, channel: tabs.channel(), askMs: 0 });
    const token = makeToken(time.at);
    await a.set(KEY, token);
    await turn();
    expectSameToken(await b.get(KEY), token);
  });

  it("a tab opened later asks the others once, and hears what they hold", async () => {
    const time = clock();
    const tabs = hub();
    const a = createBroadcastStore({ now: time.now, channel: tabs.channel() });
    const token = makeToken(time.at);
    await a.set(KEY, token);
    const late = createBroadcastStore({ now: time.now, channel: tabs.channel(), askMs: 1_000 });
    const started = Date.now();
    expectSameToken(await late.get(KEY), token);
    // Answered, not waited out.
    expect(Date.now() - started).toBeLessThan(500);
    const asks = () => tabs.sent.filter((m) => (m as { t?: string }).t === "edgetoken.ask").length;
    expect(asks()).toBe(1);
    await late.get(KEY);
    expect(asks()).toBe(1);
  });

  it("waits askMs at most when nobody holds the token, once per key", async () => {
    const time = clock();
    const tabs = hub();
    createBroadcastStore({ now: time.now, channel: tabs.channel() });
    const alone = createBroadcastStore({ now: time.now, channel: tabs.channel(), askMs: 40 });
    const started = Date.now();
    expect(await alone.get(KEY)).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(30);
    const again = Date.now();
    expect(await alone.get(KEY)).toBeUndefined();
    expect(Date.now() - again).toBeLessThan(30);
  });

  it("ignores anything on the channel that is not a sound, live record for the key", async () => {
    const time = clock();
    const tabs = hub();
    const channel = tabs.channel();
    const store = createBroadcastStore({ now: time.now, channel, askMs: 0 });
    const live = makeToken(time.at, { value: "live-VALUE" });
    const record = encodeToken(live, KEY);
    const junk: unknown[] = [
      null,
      42,
      "edgetoken.set",
      [],
      { t: "edgetoken.set" },
      { t: "edgetoken.set", key: KEY },
      { t: "edgetoken.set", key: KEY, record: 7 },
      { t: "edgetoken.set", key: KEY, record: "{not json" },
      { t: "edgetoken.set", key: KEY, record: "null" },
      {
        t: "edgetoken.set",
        key: KEY,
        record: JSON.stringify({ v: 2, key: KEY, value: "x", expiresAt: 1, obtainedAt: 0 }),
      },
      // Another key's record, sent under this key: a miss, never a foreign token.
      { t: "edgetoken.set", key: KEY, record: encodeToken(live, "edgetoken:v2:other") },
      // Expired, and ending before it began.
      {
        t: "edgetoken.set",
        key: KEY,
        record: encodeToken(makeToken(time.at - seconds(7200)), KEY),
      },
      {
        t: "edgetoken.set",
        key: KEY,
        record: JSON.stringify({ ...JSON.parse(record), obtainedAt: time.at + seconds(7200) }),
      },
      {
        t: "edgetoken.set",
        key: KEY,
        record: JSON.stringify({ ...JSON.parse(record), value: "" }),
      },
      {
        t: "edgetoken.set",
        key: KEY,
        record: JSON.stringify({ ...JSON.parse(record), expiresAt: "soon" }),
      },
      // Too long to be one of ours.
      { t: "edgetoken.set", key: KEY, record: record.replace("live-VALUE", "x".repeat(20_000)) },
      { t: "edgetoken.set", key: "", record },
      { t: "edgetoken.set", key: "k".repeat(2_000), record },
      { t: "edgetoken.steal", key: KEY },
      { t: "edgetoken.delete" },
      { t: "edgetoken.deleteIf", key: KEY, value: 1 },
      { t: "edgetoken.ask", key: 3 },
      new ArrayBuffer(8),
    ];
    for (const data of junk) channel.inject(data);
    expect(await store.get(KEY)).toBeUndefined();
    expect(tabs.sent).toEqual([]);
    // The same record, sound this time, is taken.
    channel.inject({ t: "edgetoken.set", key: KEY, record });
    expectSameToken(await store.get(KEY), live);
  });

  it("keeps the newer token when an older one arrives", async () => {
    const time = clock();
    const tabs = hub();
    const channel = tabs.channel();
    const store = createBroadcastStore({ now: time.now, channel, askMs: 0 });
    const newer = makeToken(time.at, { value: "newer-VALUE" });
    await store.set(KEY, newer);
    const older = makeToken(time.at - seconds(60), { value: "older-VALUE" });
    channel.inject({ t: "edgetoken.set", key: KEY, record: encodeToken(older, KEY) });
    expectSameToken(await store.get(KEY), newer);
  });

  it("ignores a token obtained in the future: it would hold off every real one as older", async () => {
    const time = clock();
    const tabs = hub();
    const channel = tabs.channel();
    const store = createBroadcastStore({ now: time.now, channel, askMs: 0 });
    const ahead = makeToken(time.at + 365 * 24 * 3_600_000, { value: "ahead-VALUE" });
    channel.inject({ t: "edgetoken.set", key: KEY, record: encodeToken(ahead, KEY) });
    expect(await store.get(KEY)).toBeUndefined();
    const real = makeToken(time.at, { value: "real-VALUE" });
    channel.inject({ t: "edgetoken.set", key: KEY, record: encodeToken(real, KEY) });
    expectSameToken(await store.get(KEY), real);
  });

  it("drops a token when it expires", async () => {
    const time = clock();
    const store = createBroadcastStore({ now: time.now, channel: hub().channel() });
    await store.set(KEY, makeToken(time.at, { expiresAt: time.at + seconds(10) }));
    time.advance(seconds(10));
    expect(await store.get(KEY)).toBeUndefined();
  });

  it("deletes in every tab; deleteIf only where the token is still the one refused", async () => {
    const time = clock();
    const tabs = hub();
    const a = createBroadcastStore({ now: time.now, channel: tabs.channel() });
    const b = createBroadcastStore({ now: time.now, channel: tabs.channel(), askMs: 0 });
    await a.set(KEY, makeToken(time.at, { value: "first-VALUE" }));
    await turn();
    await b.deleteIf(KEY, "another-VALUE");
    await turn();
    expect((await a.get(KEY))?.value).toBe("first-VALUE");
    await b.deleteIf(KEY, "first-VALUE");
    await turn();
    expect(await a.get(KEY)).toBeUndefined();
    expect(await b.get(KEY)).toBeUndefined();
    await a.set(KEY, makeToken(time.at, { value: "second-VALUE" }));
    await turn();
    await b.delete(KEY);
    await turn();
    expect(await a.get(KEY)).toBeUndefined();
  });

  it("stops telling and hearing once closed, and shows no token in its log form", async () => {
    const time = clock();
    const tabs = hub();
    const a = createBroadcastStore({ now: time.now, channel: tabs.channel() });
    const b = createBroadcastStore({ now: time.now, channel: tabs.channel(), askMs: 0 });
    await a.set(KEY, makeToken(time.at, { value: "kept-VALUE" }));
    expect(JSON.stringify(a)).not.toContain("kept-VALUE");
    expect(JSON.parse(JSON.stringify(a))).toEqual({ kind: "broadcast", shared: true, entries: 1 });
    b.close();
    await a.set(KEY, makeToken(time.at + 1, { value: "unheard-VALUE" }));
    await turn();
    expect(await b.get(KEY)).toBeUndefined();
    expect((await a.get(KEY))?.value).toBe("unheard-VALUE");
  });

  it("two token sources in two tabs: the second takes the first's token, no provider call", async () => {
    const tabs = hub();
    let calls = 0;
    const provider: Provider = {
      key: {
        provider: "broker:tabs.test",
        environment: "default",
        credentialId: "session",
        scope: "s:x",
      },
      async obtain({ runtime }) {
        calls += 1;
        const now = runtime.now();
        return new Token({
          value: `page-VALUE-${calls}`,
          obtainedAt: now,
          expiresAt: now + seconds(120),
        });
      },
      placement: { header: "Authorization", prefix: "Bearer " },
      apply: (request) => request,
    };
    const first = createTokenSource(provider, {
      store: createBroadcastStore({ channel: tabs.channel() }),
    });
    const second = createTokenSource(provider, {
      store: createBroadcastStore({ channel: tabs.channel() }),
    });
    const token = await first.get();
    await turn();
    expect((await second.get()).value).toBe(token.value);
    expect(calls).toBe(1);
  });
});

describe("createWebLocksLease", () => {
  it("is undefined where there is no navigator.locks (each tab then on its own)", () => {
    expect((globalThis as { navigator?: { locks?: unknown } }).navigator?.locks).toBeUndefined();
    expect(createWebLocksLease()).toBeUndefined();
  });

  it("rejects when the locks refuse (the source then goes on without the lease), and reads only sound notices", async () => {
    const tabs = hub();
    const channel = tabs.channel();
    const lease = createWebLocksLease({
      channel,
      locks: { request: () => Promise.reject(new DOMException("no locks here", "SecurityError")) },
    });
    if (lease === undefined) throw new Error("a lease over the given locks");
    for (const data of [
      null,
      { t: "edgetoken.held" },
      { t: "edgetoken.held", name: 1, until: "x" },
      { t: "edgetoken.freed", name: {} },
    ]) {
      channel.inject(data);
    }
    await expect(lease.acquire(KEY, "holder", 0, 1_000)).rejects.toThrow("no locks here");
  });
});
