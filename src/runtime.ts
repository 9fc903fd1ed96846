import { abortable } from "./internal/abortable.ts";

/** The `fetch` signature edgetoken calls. Any WHATWG `fetch` fits, and so does the emulator. */
export type FetchLike = (input: Request | string | URL, init?: RequestInit) => Promise<Response>;

/**
 * The platform, injectable: tests move time instead of waiting, and route `fetch` to an
 * emulator instead of the network. Every field is optional; the defaults are the globals.
 *
 * @example
 * const source = createTokenSource(provider, { runtime: { fetch: emulator.fetch, now: () => t } });
 */
export interface RuntimeOptions {
  /** Used for every provider call. Default: the global `fetch`, looked up at call time. */
  fetch?: FetchLike | undefined;
  /** The clock, in epoch milliseconds. Default: `Date.now`. */
  now?: (() => number) | undefined;
  /** Waits between retries. Default: `setTimeout`, cut short by the signal. */
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  /** A number in [0, 1) for jitter. Default: `Math.random`. */
  random?: (() => number) | undefined;
}

/** {@link RuntimeOptions} with every default filled in. */
export interface Runtime {
  fetch: FetchLike;
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random: () => number;
}

/** Waits `ms`, or rejects with the signal's reason when it fires first; the timer goes then. */
function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  let timer: ReturnType<typeof setTimeout>;
  const slept = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  if (signal === undefined) return slept;
  return abortable(slept, signal).finally(() => clearTimeout(timer));
}

/**
 * The platform's `fetch`, looked up per call, so a later `globalThis.fetch` replacement (a test
 * spy) is honoured. It takes a URL and an init as they are: `source.fetch` then sends without
 * building a `Request` of its own (one fewer copy of the body and headers).
 */
export const globalFetch: FetchLike = (input, init) => fetch(input, init);

/** Fills in the platform defaults. */
export function resolveRuntime(options: RuntimeOptions = {}): Runtime {
  return {
    fetch: options.fetch ?? globalFetch,
    now: options.now ?? Date.now,
    sleep: options.sleep ?? defaultSleep,
    random: options.random ?? Math.random,
  };
}
