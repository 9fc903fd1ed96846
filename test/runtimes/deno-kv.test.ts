// The Deno KV store under Deno, against a real in-memory Deno KV (no stand-in). Run by
// `npm run test:runtimes` as `deno test --unstable-kv`; it imports the TypeScript source as JSR
// users would get it, through deno.json's import map.

import { createEmulator } from "../../src/emulator/index.ts";
import {
  createDenoKvNamespace,
  createKvStore,
  createTokenSource,
  ipospays,
  storeKeyName,
  Token,
} from "../../src/index.ts";

const HOUR = 3_600_000;

// Deno's std is a download away and node:assert drags in @types/node: two small checks suffice.
function equal(actual: unknown, expected: unknown, what: string): void {
  const [a, e] = [JSON.stringify(actual), JSON.stringify(expected)];
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

function ok(condition: boolean, what: string): void {
  if (!condition) throw new Error(what);
}

async function withKv(run: (kv: Deno.Kv) => Promise<void>): Promise<void> {
  const kv = await Deno.openKv(":memory:");
  try {
    await run(kv);
  } finally {
    kv.close();
  }
}

Deno.test("a token round-trips through createKvStore on Deno KV, under the prefix", () =>
  withKv(async (kv) => {
    const now = Date.now();
    const store = createKvStore(createDenoKvNamespace(kv));
    const token = new Token({ value: "secret-token", obtainedAt: now, expiresAt: now + HOUR });
    await store.set("edgetoken:v1:test", token);

    const read = await store.get("edgetoken:v1:test");
    equal(read?.value, "secret-token", "the value read back");
    equal(read?.expiresAt, token.expiresAt, "the expiry read back");
    const raw = await kv.get(["edgetoken", "edgetoken:v1:test"]);
    equal(typeof raw.value, "string", "what Deno KV holds under the prefix");

    await store.delete("edgetoken:v1:test");
    equal(await store.get("edgetoken:v1:test"), undefined, "the store after delete");
    equal((await kv.get(["edgetoken", "edgetoken:v1:test"])).value, null, "Deno KV after delete");
  }));

Deno.test("expirationTtl (s) becomes Deno KV's expireIn (ms)", () =>
  withKv(async (kv) => {
    // Forwards to the real database, keeping note of what was asked.
    const expireIns: Array<number | undefined> = [];
    const recording = {
      get: kv.get.bind(kv),
      delete: kv.delete.bind(kv),
      set(key: readonly string[], value: string, options?: { expireIn?: number }) {
        expireIns.push(options?.expireIn);
        return kv.set(key, value, options);
      },
    };
    const namespace = createDenoKvNamespace(recording, { prefix: ["app", "tokens"] });
    await namespace.put("short", "value", { expirationTtl: 90 });
    await namespace.put("forever", "value");
    equal(expireIns, [90_000, undefined], "expireIn of each set");
    equal(await namespace.get("short", "text"), "value", "before expiry");
    equal((await kv.get(["app", "tokens", "short"])).value, "value", "the prefixed key");
  }));

Deno.test("a token past its expiry is a miss even while Deno KV still holds it", () =>
  withKv(async (kv) => {
    // Deno KV deletes expired keys lazily: the store's own expiry check is what counts.
    let t = Date.now();
    const store = createKvStore(createDenoKvNamespace(kv), { now: () => t });
    await store.set("key", new Token({ value: "v", obtainedAt: t, expiresAt: t + 60_000 }));
    t += 61_000;
    equal(await store.get("key"), undefined, "the store past the expiry");
    equal(typeof (await kv.get(["edgetoken", "key"])).value, "string", "Deno KV meanwhile");
  }));

Deno.test("a value that is not text reads as a miss, and the next write replaces it", () =>
  withKv(async (kv) => {
    const store = createKvStore(createDenoKvNamespace(kv));
    await kv.set(["edgetoken", "key"], { not: "a record" });
    equal(await store.get("key"), undefined, "an object value");
    await kv.set(["edgetoken", "key"], "{corrupt");
    equal(await store.get("key"), undefined, "corrupt text");
    const now = Date.now();
    await store.set("key", new Token({ value: "fresh", obtainedAt: now, expiresAt: now + HOUR }));
    equal((await store.get("key"))?.value, "fresh", "after the rewrite");
  }));

Deno.test("two token sources sharing Deno KV make one provider call", () =>
  withKv(async (kv) => {
    let t = Date.parse("2026-01-01T00:00:00Z");
    const now = () => t;
    const emulator = createEmulator({ now });
    const provider = ipospays({
      apiKey: "demo-merchant-key",
      secretKey: "demo-merchant-secret",
      scope: "PaymentTokenization",
      baseUrl: "https://emulator.test/ipospays",
    });
    const options = {
      store: createKvStore(createDenoKvNamespace(kv), { now }),
      runtime: { fetch: emulator.fetch, now, random: () => 0 },
    };
    // Two isolates: each its own source, one database.
    const first = await createTokenSource(provider, options).get();
    t += HOUR;
    const second = await createTokenSource(provider, options).get();

    equal(second.value, first.value, "the second source's token");
    equal(emulator.calls(), { "POST /ipospays/v1/authenticate-token": 1 }, "provider calls");
    const stored = await kv.get(["edgetoken", await storeKeyName(provider.key)]);
    equal(typeof stored.value, "string", "the stored record");
    ok(!String(stored.value).includes("demo-merchant-secret"), "the record holds no secret");
  }));
