// The one smoke scenario every runtime runs, written once, in plain JavaScript so that a browser
// loads it as is. It imports the package by name: it runs from a folder where the packed tarball
// was installed (Node, Deno and Bun resolve node_modules; Chromium gets an import map).
import { createTokenSource, ipospays } from "edgetoken";
import { readBrokerRefusal } from "edgetoken/broker";
import { createBroadcastStore, createWebLocksLease } from "edgetoken/browser";
import { createEmulator } from "edgetoken/emulator";
import { createRedisStore, fromUpstash } from "edgetoken/redis";

const START = Date.parse("2026-01-01T00:00:00Z");
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const BASE = "https://emulator.test/ipospays";
const GENERATE = "POST /ipospays/v1/authenticate-token";
const REFRESH = "POST /ipospays/v1/refresh-token";
const TRANSACT = "POST /ipospays/api/v3/iposTransact";

/**
 * @param {unknown} condition
 * @param {string} message
 * @returns {asserts condition}
 */
function check(condition, message) {
  if (!condition) throw new Error(message);
}

/**
 * Gets an iPOSpays token from the emulator, pays with it, moves one clock (shared by the client
 * and the emulator) past the refresh point, lets the background refresh settle and pays again
 * with the new token. Throws with what went wrong; resolves with a summary.
 *
 * @returns {Promise<string>}
 */
export async function smoke() {
  let t = START;
  const now = () => t;
  // One clock for both: moving `t` moves the emulator too (its advance() would count twice).
  const emulator = createEmulator({ now });
  /** @type {string[]} the `token` header of every Transact call, in order */
  const paidWith = [];
  /** @type {(input: Request | string | URL, init?: RequestInit) => Promise<Response>} */
  const fetch = (input, init) => {
    const request = new Request(input, init);
    if (new URL(request.url).pathname.endsWith("/iposTransact")) {
      paidWith.push(request.headers.get("token") ?? "");
    }
    return emulator.fetch(request);
  };
  const source = createTokenSource(
    ipospays({
      apiKey: "demo-merchant-key",
      secretKey: "demo-merchant-secret",
      scope: "PaymentTokenization",
      baseUrl: BASE,
    }),
    // random 0: no jitter, so a 24 h token is due for refresh at exactly 18 h.
    { runtime: { fetch, now, random: () => 0 } },
  );

  /** @param {string} amount */
  const pay = async (amount) => {
    const response = await source.fetch(`${BASE}/api/v3/iposTransact`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ transactionRequest: { amount } }),
    });
    const body = await response.text();
    check(response.status === 200, `Transact answered ${response.status}: ${body.slice(0, 200)}`);
    check(body.includes('"Successful"'), `Transact did not succeed: ${body.slice(0, 200)}`);
  };

  const first = await source.get();
  check(first.expiresAt - t === 24 * HOUR, `the first token lives ${first.expiresAt - t} ms`);
  await pay("10.00");

  t += 18 * HOUR + MINUTE;
  /** @type {Promise<unknown>[]} */
  const background = [];
  const served = await source.get({ ctx: { waitUntil: (promise) => background.push(promise) } });
  check(served.value === first.value, "the current token was not served while refreshing");
  check(background.length === 1, `expected one background refresh, got ${background.length}`);
  await Promise.all(background);
  const second = await source.get();
  check(second.value !== first.value, "the token did not change after the refresh point");
  check(second.expiresAt - t === 24 * HOUR, `the refreshed token lives ${second.expiresAt - t} ms`);
  await pay("20.00");

  check(paidWith.length === 2, `expected two Transact calls, saw ${paidWith.length}`);
  check(paidWith[0] === first.value, "the first payment did not carry the first token");
  check(paidWith[1] === second.value, "the second payment did not carry the refreshed token");
  const calls = emulator.calls();
  check(calls[GENERATE] === 1, `generate was called ${calls[GENERATE] ?? 0} times, expected 1`);
  check(calls[REFRESH] === 1, `refresh was called ${calls[REFRESH] ?? 0} times, expected 1`);
  check(calls[TRANSACT] === 2, `Transact was called ${calls[TRANSACT] ?? 0} times, expected 2`);

  // A 401 while a failed refresh is being backed off: the token is renewed and the payment
  // replayed, not refused with the refresh's error.
  t += 18 * HOUR + MINUTE;
  emulator.addFault({ provider: "ipospays", endpoint: "refresh", kind: "status", status: 503 });
  /** @type {Promise<unknown>[]} */
  const failing = [];
  await source.get({ ctx: { waitUntil: (promise) => failing.push(promise) } });
  await Promise.all(failing);
  emulator.clearFaults();
  emulator.revoke(second.value);
  t += 100; // inside the backoff
  await pay("30.00");
  check(paidWith.at(-1) !== second.value, "the refused token was sent again after the 401");

  // A provider that never answers: get() fails within its deadline with `timeout`.
  const silent = createTokenSource(
    ipospays({ apiKey: "k", secretKey: "s", scope: "PaymentTokenization", baseUrl: BASE }),
    { deadlineMs: 300, runtime: { fetch: () => new Promise(() => {}) } },
  );
  const started = Date.now();
  const outcome = await silent.get().then(
    () => "a token",
    (/** @type {{ code?: unknown }} */ error) => String(error.code),
  );
  const took = Date.now() - started;
  check(outcome === "timeout", `a silent provider gave ${outcome}, expected timeout`);
  check(took < 3_000, `a silent provider held get() for ${took} ms, past its 300 ms deadline`);
  // What a Worker bound to the broker reads from a refusal (only the message crosses a binding).
  const refusal = readBrokerRefusal(new Error("rate_limited: Slow down. (retry after 7 s)"));
  check(
    refusal?.code === "rate_limited" && refusal.retryAfterSeconds === 7,
    `edgetoken/broker read ${JSON.stringify(refusal)}`,
  );
  // edgetoken/redis loads and runs here too (Upstash's client is fetch only): a token through
  // the store and back, over a client that keeps strings in a Map and decodes JSON the way
  // @upstash/redis does by default.
  /** @type {Map<string, string>} */
  const kept = new Map();
  const store = createRedisStore(
    fromUpstash({
      get: async (key) => {
        const text = kept.get(key);
        return text === undefined ? null : JSON.parse(text);
      },
      set: async (key, value) => kept.set(key, value),
      eval: async () => 0,
    }),
    { now },
  );
  await store.set("smoke", second);
  const back = await store.get("smoke");
  check(back?.value === second.value, "edgetoken/redis did not give the stored token back");
  // edgetoken/browser loads everywhere: its store keeps a token (on a BroadcastChannel where the
  // runtime has one — Node, Deno and Bun do — closed so it keeps no process alive), and its
  // lease is a lease where navigator.locks exists (Chromium), else undefined.
  const tabs = createBroadcastStore({ now, name: `edgetoken-smoke-${Math.random()}` });
  await tabs.set("smoke", second);
  const held = await tabs.get("smoke");
  tabs.close();
  check(held?.value === second.value, "edgetoken/browser's store did not give the token back");
  const hasLocks =
    typeof (/** @type {any} */ (globalThis).navigator?.locks?.request) === "function";
  const lease = createWebLocksLease();
  check((lease !== undefined) === hasLocks, `createWebLocksLease() gave ${typeof lease}`);
  if (lease !== undefined) {
    check(await lease.acquire("smoke", "a", 0, 5_000), "the Web Locks lease was not taken");
    check(!(await lease.acquire("smoke", "b", 0, 5_000)), "the Web Locks lease was taken twice");
    await lease.release("smoke", "a");
  }
  return `generate 1, refresh 1, Transact 2 (200, 200); 401 in backoff renewed; silent provider: timeout in ${took} ms; broker refusal read; redis store round trip; browser store round trip, Web Locks lease ${lease === undefined ? "absent" : "held once"}`;
}
