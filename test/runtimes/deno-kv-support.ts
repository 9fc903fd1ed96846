// What the Deno KV tests share: two small checks (Deno's std is a download away and node:assert
// drags in @types/node), the seeded providers pointed at an emulator, and an emulator that
// counts what a payments team cares about — auth calls and PaymentsGate refresh tokens redeemed
// twice.

import { createEmulator, type Emulator } from "../../src/emulator/index.ts";
import { ipospays, type Provider, papaya, paymentsGate } from "../../src/index.ts";

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
/** 2026-01-01T00:00:00Z, like the other suites. */
export const T0 = Date.UTC(2026, 0, 1);

export function equal(actual: unknown, expected: unknown, what: string): void {
  const [a, e] = [JSON.stringify(actual), JSON.stringify(expected)];
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

export function ok(condition: boolean, what: string): void {
  if (!condition) throw new Error(what);
}

export const AUTH_PATHS: ReadonlySet<string> = new Set([
  "/ipospays/v1/authenticate-token",
  "/ipospays/v1/refresh-token",
  "/paymentsgate/auth/token",
  "/paymentsgate/auth/token/refresh",
  "/papaya/token",
]);
const REFRESH = "/paymentsgate/auth/token/refresh";

export type ProviderName = "ipospays" | "paymentsgate" | "papaya";

/**
 * A seeded provider with the emulator's demo account, at `base` (any host: routing is by path).
 * Tokens of 30 minutes (iPOSpays, asked for) and one hour (PaymentsGate, Papaya).
 */
export function provider(name: ProviderName, base = "https://emulator.test"): Provider {
  switch (name) {
    case "ipospays":
      return ipospays({
        apiKey: "demo-merchant-key",
        secretKey: "demo-merchant-secret",
        scope: "PaymentTokenization",
        expiryMinutes: 30,
        baseUrl: `${base}/ipospays`,
      });
    case "paymentsgate":
      return paymentsGate({
        accountId: "00000000-0000-4000-8000-000000000001",
        publicKey: "ZGVtby1wdWJsaWMta2V5",
        baseUrl: `${base}/paymentsgate`,
      });
    case "papaya":
      return papaya({
        apiKey: "demo-papaya-key",
        clientSecret: "demo-papaya-secret",
        expiration: 3600,
        baseUrl: `${base}/papaya`,
      });
  }
}

export interface Counted {
  emulator: Emulator;
  /** The emulator's fetch, counting as it goes. */
  fetch(input: Request | string | URL, init?: RequestInit): Promise<Response>;
  /** Auth calls whose path starts with `prefix` ("/paymentsgate/"), or all of them. */
  authCalls(prefix?: string): number;
  /** PaymentsGate refresh tokens presented a second time, and refreshes refused. */
  refreshReuse: number;
  refreshRefused: number;
}

export function countedEmulator(now: () => number): Counted {
  const emulator = createEmulator({ now });
  const auth = new Map<string, number>();
  const redeemed = new Set<string>();
  const counted: Counted = {
    emulator,
    refreshReuse: 0,
    refreshRefused: 0,
    async fetch(input, init) {
      const request = new Request(input, init);
      const path = new URL(request.url).pathname;
      if (path === REFRESH) {
        try {
          const handle = String((await request.clone().json()).refresh_token);
          if (redeemed.has(handle)) counted.refreshReuse += 1;
          redeemed.add(handle);
        } catch {
          // Not JSON: the emulator answers it.
        }
      }
      // Counted as it arrives: a call whose caller dies before the answer is a call all the same.
      if (AUTH_PATHS.has(path)) auth.set(path, (auth.get(path) ?? 0) + 1);
      const response = await emulator.fetch(request);
      if (path === REFRESH && response.status === 401) counted.refreshRefused += 1;
      return response;
    },
    authCalls(prefix = "/") {
      let sum = 0;
      for (const [path, n] of auth) if (path.startsWith(prefix)) sum += n;
      return sum;
    },
  };
  return counted;
}

/**
 * The auth calls one source alone makes when asked at every `step` for `duration`: one, then
 * one each time the clock passes the refresh point (`refreshAhead` of the lifetime before
 * expiry, no jitter).
 */
export function aloneCalls(duration: number, step: number, lifetime: number, ahead = 0.25): number {
  let calls = 0;
  let refreshAt = Number.NEGATIVE_INFINITY;
  for (let t = 0; t < duration; t += step) {
    if (t < refreshAt) continue;
    calls += 1;
    refreshAt = t + lifetime * (1 - ahead);
  }
  return calls;
}
