// The Redis store and lease, through both adapters — node-redis over TCP and the real
// @upstash/redis client over HTTP (through the Upstash shim) — against a real redis-server:
// records round-trip and are checked; invalidate and release are compare-and-delete; the
// settled time reaches the next holder; the two adapters read each other's records.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Redis } from "@upstash/redis";
import { createClient } from "redis";
import { createTokenSource, Token } from "../../src/index.ts";
import {
  createRedisLease,
  createRedisStore,
  fromNodeRedis,
  fromUpstash,
} from "../../src/redis/index.ts";
import { startRedis } from "./redis-server.mjs";
import { startUpstashShim } from "./upstash-shim.mjs";

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

/** @type {Awaited<ReturnType<typeof startRedis>>} */
let server;
/** @type {Awaited<ReturnType<typeof startUpstashShim>>} */
let shim;
/** @type {import("redis").RedisClientType} */
let node;
/** @type {Record<string, import("../../src/redis/index.ts").RedisLike>} */
const adapters = {};

before(async () => {
  server = await startRedis();
  shim = await startUpstashShim(server.url);
  node = /** @type {any} */ (createClient({ url: server.url, disableOfflineQueue: true }));
  node.on("error", () => {});
  await node.connect();
  const upstash = (/** @type {boolean} */ automaticDeserialization) =>
    new Redis({
      url: shim.url,
      token: shim.token,
      automaticDeserialization,
      enableTelemetry: false,
    });
  adapters["node-redis"] = fromNodeRedis(node);
  adapters["@upstash/redis"] = fromUpstash(upstash(true));
  adapters["@upstash/redis, automaticDeserialization: false"] = fromUpstash(upstash(false));
});

after(async () => {
  await node?.close();
  await shim?.close();
  await server?.close();
});

/** @param {string} value @param {Partial<import("../../src/index.ts").TokenInit>} [more] */
function token(value, more = {}) {
  return new Token({ value, obtainedAt: T0, expiresAt: T0 + HOUR, ...more });
}

let run = 0;
/** A key nobody else in this file uses. */
const fresh = () => `edgetoken:v1:test:sandbox:${++run}:payments`;

for (const name of [
  "node-redis",
  "@upstash/redis",
  "@upstash/redis, automaticDeserialization: false",
]) {
  describe(`through ${name}`, () => {
    const redis = () =>
      /** @type {import("../../src/redis/index.ts").RedisLike} */ (adapters[name]);
    let clock = T0;
    const now = () => clock;

    test("a token round-trips, expires with its lifetime, and is a miss once expired", async () => {
      const store = createRedisStore(redis(), { now });
      const key = fresh();
      await store.set(key, token("at-1", { refreshToken: "rt-1", scope: "payments" }));
      const read = await store.get(key);
      assert.equal(read?.value, "at-1");
      assert.equal(read?.refreshToken, "rt-1");
      assert.equal(read?.scope, "payments");
      assert.equal(read?.expiresAt, T0 + HOUR);
      // Redis drops it with its token (PX = time left on the store's clock).
      const ttl = await node.pTTL(key);
      assert.ok(ttl > HOUR - 5_000 && ttl <= HOUR, `PTTL ${ttl}`);
      clock = T0 + HOUR;
      assert.equal(await store.get(key), undefined);
      clock = T0;
    });

    test("a record that is junk, or was written under another key, is a miss", async () => {
      const store = createRedisStore(redis(), { now });
      const key = fresh();
      await node.set(key, "{not json");
      assert.equal(await store.get(key), undefined);
      await node.set(key, JSON.stringify({ v: 1, key, value: "", expiresAt: 1, obtainedAt: 0 }));
      assert.equal(await store.get(key), undefined);
      const elsewhere = fresh();
      await store.set(elsewhere, token("theirs"));
      await node.set(key, /** @type {string} */ (await node.get(elsewhere)));
      assert.equal(await store.get(key), undefined);
    });

    test("deleteIf deletes our token, and leaves another's", async () => {
      const store = createRedisStore(redis(), { now });
      const key = fresh();
      await store.set(key, token("ours"));
      await store.deleteIf?.(key, "ours");
      assert.equal(await node.exists(key), 0);
      await store.set(key, token("newer", { obtainedAt: T0 + 1 }));
      await store.deleteIf?.(key, "ours");
      assert.equal((await store.get(key))?.value, "newer");
      await store.delete(key);
      assert.equal(await node.exists(key), 0);
    });

    test("deleteIf is compare-and-delete: a token stored between its read and its delete survives", async () => {
      const key = fresh();
      const writer = createRedisStore(redis(), { now });
      await writer.set(key, token("ours"));
      const inner = redis();
      // Another instance stores a newer token right after our read of the old one.
      const racing = {
        get: async (/** @type {string} */ name) => {
          const text = await inner.get(name);
          await writer.set(key, token("newer", { obtainedAt: T0 + 1 }));
          return text;
        },
        set: inner.set,
        eval: inner.eval,
      };
      await createRedisStore(racing, { now }).deleteIf?.(key, "ours");
      assert.equal((await writer.get(key))?.value, "newer");
    });

    test("invalidate() on one source leaves the newer token another source stored", async () => {
      const key = fresh();
      let issued = 0;
      const provider = {
        key: { provider: "test", environment: "sandbox", credentialId: key, scope: "payments" },
        obtain: async () =>
          new Token({ value: `at-${++issued}`, obtainedAt: clock, expiresAt: clock + HOUR }),
        apply: (/** @type {Request} */ request) => request,
      };
      const make = () =>
        createTokenSource(provider, {
          store: createRedisStore(redis(), { now }),
          lease: createRedisLease(redis()),
          runtime: { now, random: () => 0 },
        });
      const a = make();
      const b = make();
      assert.equal((await a.get()).value, "at-1");
      assert.equal((await b.get()).value, "at-1"); // from Redis
      await b.invalidate();
      assert.equal((await b.get()).value, "at-2");
      await a.invalidate(); // a still had at-1: at-2 is not a's to delete
      assert.equal((await make().get()).value, "at-2");
      assert.equal(issued, 2);
    });

    test("the lease: one holder at a time; the holder may extend; lapses with its PX", async () => {
      const lease = createRedisLease(redis());
      const key = fresh();
      assert.equal(await lease.acquire(key, "a", T0, T0 + 10_000), true);
      assert.equal(await lease.acquire(key, "b", T0, T0 + 10_000), false);
      assert.equal(await lease.acquire(key, "a", T0, T0 + 20_000), true);
      const ttl = await node.pTTL(`lease:{${key}}`);
      assert.ok(ttl > 15_000 && ttl <= 20_000, `PTTL ${ttl}`);
      await lease.release(key, "a");
      assert.equal(await lease.acquire(key, "b", T0, T0 + 50), true);
      await new Promise((resolve) => setTimeout(resolve, 120));
      assert.equal(await lease.acquire(key, "c", T0, T0 + 10_000), true); // b's lapsed
    });

    test("release is compare-and-delete: a holder whose lease lapsed never releases the next one's", async () => {
      const lease = createRedisLease(redis());
      const key = fresh();
      assert.equal(await lease.acquire(key, "slow", T0, T0 + 50), true);
      await new Promise((resolve) => setTimeout(resolve, 120));
      assert.equal(await lease.acquire(key, "next", T0, T0 + 10_000), true);
      await lease.release(key, "slow"); // late: the lease is next's now
      assert.equal(await node.get(`lease:{${key}}`), "next");
      assert.equal(await lease.acquire(key, "third", T0, T0 + 10_000), false);
      await lease.release(key, "next");
      assert.equal(await lease.acquire(key, "third", T0, T0 + 10_000), true);
    });

    test("a lease that lapses unreleased settles on when its holder took it", async () => {
      const lease = createRedisLease(redis());
      const key = fresh();
      assert.equal(await lease.acquire(key, "a", T0, T0 + 50), true);
      assert.equal(await lease.acquire(key, "a", T0 + 10, T0 + 60), true); // extended: taken at T0
      await new Promise((resolve) => setTimeout(resolve, 120)); // a's release never came
      assert.equal(await lease.acquire(key, "b", T0 + 200, T0 + 10_000), true);
      assert.equal(await lease.settled?.(key), T0);
      await lease.release(key, "b"); // released, nothing settled: the time stays
      assert.equal(await lease.acquire(key, "c", T0 + 300, T0 + 10_000), true);
      assert.equal(await lease.settled?.(key), T0);
      await lease.release(key, "c", T0 + 350);
      assert.equal(await lease.acquire(key, "d", T0 + 400, T0 + 10_000), true);
      assert.equal(await lease.settled?.(key), T0 + 350);
    });

    test("the settled time reaches the next holder with its acquire, and only moves forward", async () => {
      const lease = createRedisLease(redis());
      const next = createRedisLease(redis()); // another process: nothing remembered
      const key = fresh();
      assert.equal(await lease.acquire(key, "a", T0, T0 + 10_000), true);
      assert.equal(await lease.settled?.(key), undefined);
      await lease.release(key, "a", T0 + 1_500);
      assert.equal(await next.acquire(key, "b", T0, T0 + 10_000), true);
      assert.equal(await next.settled?.(key), T0 + 1_500);
      await next.release(key, "b", T0 + 1_000); // older: kept at 1 500
      await next.release(key, "late", T0 + 2_000); // a token stored is a token stored
      assert.equal(await lease.acquire(key, "c", T0, T0 + 10_000), true);
      assert.equal(await lease.settled?.(key), T0 + 2_000);
      const ttl = await node.pTTL(`settled:{${key}}`);
      assert.ok(ttl > 23 * HOUR, `PTTL ${ttl}`);
    });
  });
}

test("node-redis and @upstash/redis read each other's records", async () => {
  const viaNode = createRedisStore(adapters["node-redis"], { now: () => T0 });
  const viaUpstash = createRedisStore(adapters["@upstash/redis"], { now: () => T0 });
  const key = fresh();
  await viaNode.set(key, token("from-node", { refreshToken: "rt" }));
  assert.equal((await viaUpstash.get(key))?.value, "from-node");
  await viaUpstash.set(key, token("from-upstash", { obtainedAt: T0 + 1 }));
  assert.equal((await viaNode.get(key))?.value, "from-upstash");
  // Upstash's automatic JSON decoding undone byte for byte: its compare-and-delete matches.
  await viaUpstash.deleteIf?.(key, "from-upstash");
  assert.equal(await node.exists(key), 0);
});

test("a client that answers GET with anything but text is a failure, not a silent miss", async () => {
  const buffers = {
    get: async () => Buffer.from("x"),
    set: async () => {},
    eval: async () => 0,
  };
  const store = createRedisStore(/** @type {any} */ (buffers));
  await assert.rejects(store.get("k"), TypeError);
  const lease = createRedisLease({ ...buffers, get: async () => null, eval: async () => "OK" });
  await assert.rejects(lease.acquire("k", "a", 0, 1), TypeError);
});

test("keys carry the prefix; a key's lease, settled and taken times share its `{key}` hash tag (one Cluster slot)", async () => {
  const store = createRedisStore(adapters["node-redis"], { prefix: "app:", now: () => T0 });
  const lease = createRedisLease(adapters["node-redis"], { prefix: "app:" });
  const key = fresh();
  await store.set(key, token("t"));
  assert.equal(await node.exists(`app:${key}`), 1);
  await lease.acquire(key, "h", T0, T0 + 10_000);
  await lease.release(key, "other", T0);
  assert.deepEqual((await node.keys(`app:*{${key}}`)).sort(), [
    `app:lease:{${key}}`,
    `app:settled:{${key}}`,
    `app:taken:{${key}}`,
  ]);
});
