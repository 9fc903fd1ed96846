import { abortable } from "./abortable.ts";

/**
 * Runs `call`, but gives up on it after `ms`: the answer then is a rejection (an `AbortError`;
 * every caller treats it as the backend having failed), while the call
 * itself may still finish (nothing waits for it). A synchronous throw is a rejection too. The
 * timer is cleared as soon as the call settles, so none is left behind per call.
 */
export function withinMs<T>(call: () => Promise<T>, ms: number): Promise<T> {
  const limit = new AbortController();
  const timer = setTimeout(() => limit.abort(), ms);
  return abortable(Promise.resolve().then(call), limit.signal).finally(() => clearTimeout(timer));
}
