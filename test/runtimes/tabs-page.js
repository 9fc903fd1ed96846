// One tab of the browser-tabs test (tabs.mjs): a page token source on the broker provider's
// `sessionUrl`, sharing its token with the other tabs through edgetoken/browser. The harness
// drives it through `window.tab`. Plain JavaScript, loaded as is through an import map.
import { broker, createTokenSource } from "edgetoken";
import { createBroadcastStore, createWebLocksLease } from "edgetoken/browser";

const params = new URLSearchParams(location.search);
const leaseMs = Number(params.get("leaseMs") ?? "3000");

/** @type {Array<Record<string, unknown>>} what the source reported, names and numbers only */
const events = [];
const lease = createWebLocksLease();
const source = createTokenSource(
  broker({
    brokerUrl: location.origin,
    scope: "ipospays:PaymentTokenization",
    sessionUrl: "/session",
  }),
  {
    store: createBroadcastStore(),
    lease,
    leaseMs,
    // 4 s tokens: refreshed 2 s after they were obtained (no jitter: every tab at once), never
    // served with less than 1 s left.
    refreshAhead: 0.5,
    refreshJitter: 0,
    minRemainingMs: 1_000,
    onEvent: (event) => events.push({ ...event, at: Date.now() }),
  },
);

/** Every token this tab was handed, and how much life it had left then. */
const served = [];

/** @type {any} */ (window).tab = {
  leased: lease !== undefined,
  events,
  served,
  async get() {
    const token = await source.get();
    served.push({ left: token.expiresAt - Date.now(), obtainedAt: token.obtainedAt });
    return { value: token.value, expiresAt: token.expiresAt };
  },
  /** Calls the API with the token: the server says whether it was live when it arrived. */
  async call() {
    const response = await source.fetch("/api", { method: "POST", body: "{}" });
    return response.status;
  },
};
/** @type {any} */ (window).tabReady = true;
