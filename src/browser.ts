/**
 * `edgetoken/browser`: the tabs of one origin share their page token and renew it once between
 * them — a store on a `BroadcastChannel` and a lease on the Web Locks API. Web APIs only; a page
 * that does not import it pays nothing for it.
 *
 * @example
 * import { broker, createTokenSource } from "edgetoken";
 * import { createBroadcastStore, createWebLocksLease } from "edgetoken/browser";
 * const source = createTokenSource(broker({ brokerUrl, scope, sessionUrl: "/checkout/token" }), {
 *   store: createBroadcastStore(),
 *   lease: createWebLocksLease(),
 * });
 */
export {
  type BroadcastChannelLike,
  type BroadcastStore,
  type BroadcastStoreOptions,
  createBroadcastStore,
} from "./stores/broadcast.ts";
export {
  createWebLocksLease,
  type LockManagerLike,
  type WebLocksLeaseOptions,
} from "./stores/web-locks.ts";
