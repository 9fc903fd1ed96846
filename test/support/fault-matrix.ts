/**
 * The fault matrix as data: every provider × fault × token state, and what the token source must
 * do in each cell. `test/library/fault-matrix.test.ts` runs one named test per cell from these
 * rows, and `node scripts/reliability-faults.mjs` prints the same rows as the tables of
 * docs/reliability/faults.md (a test checks that page against them). Plain data: no workerd, no
 * vitest, so Node can import it too.
 */
import type { EdgeTokenErrorCode } from "../../src/index.ts";

export type ProviderId = "ipospays" | "paymentsgate" | "papaya" | "oauth2";

export type FaultId =
  | "timeout"
  | "reset"
  | "5xx"
  | "429"
  | "html"
  | "truncated"
  | "error_200"
  | "expired"
  | "no_exp"
  | "5mb"
  | "date_ahead"
  | "date_behind";

export type StateId = "cold" | "warm" | "window" | "floor";

/** Provider calls per endpoint: `token` obtains (generate, issue, obtain); `refresh` renews. */
export interface Calls {
  token: number;
  refresh: number;
}

/** What one provider call (with its retries) ends in: a token, or a typed error. */
export interface Attempt {
  /** The error's code; absent when the attempt yields a usable token. */
  code?: EdgeTokenErrorCode;
  /** The provider's own code the error carries, where it has one. */
  providerCode?: string;
  calls: Partial<Calls>;
}

/**
 * What a cell's `get()` gives:
 * - `cached`: the cached token, and no provider call;
 * - `stale`: the cached token (stale-if-error), while the refresh behind it failed with `code`;
 * - `fresh`: a new token (in the refresh window: the cached one at once, the new one next);
 * - `error`: a typed `EdgeTokenError` with `code`, and the cached token is not handed out.
 */
export type Outcome =
  | { kind: "cached" }
  | { kind: "stale"; code: EdgeTokenErrorCode }
  | { kind: "fresh" }
  | { kind: "error"; code: EdgeTokenErrorCode; providerCode?: string };

export interface Cell {
  provider: ProviderId;
  fault: FaultId;
  state: StateId;
  outcome: Outcome;
  calls: Calls;
}

export const PROVIDERS: readonly ProviderId[] = ["ipospays", "paymentsgate", "papaya", "oauth2"];

export const PROVIDER_LABELS: Record<ProviderId, string> = {
  ipospays: "iPOSpays",
  paymentsgate: "PaymentsGate",
  papaya: "Papaya",
  oauth2: "OAuth 2.0",
};

/** Each fault, and how it is made: by the emulator's own fault, or by a wrapping fetch. */
export const FAULTS: Record<FaultId, { label: string; how: string }> = {
  timeout: {
    label: "timeout",
    how: "no answer within `requestPolicy.timeoutMs` (emulator `latency` 1 s, timeout 100 ms)",
  },
  reset: {
    label: "connection reset",
    how: "the request reaches the provider, then `fetch` throws (wrapping fetch)",
  },
  "5xx": { label: "5xx", how: "HTTP 503 (emulator `status`)" },
  "429": {
    label: "429 + Retry-After",
    how: "HTTP 429, `Retry-After: 120` (emulator `rate_limit`)",
  },
  html: { label: "HTML error page", how: "an HTML page under HTTP 200 (emulator `non_json`)" },
  truncated: {
    label: "truncated JSON",
    how: "the provider's answer cut in half (wrapping fetch)",
  },
  error_200: {
    label: "error under 200",
    how: "the provider's error body under HTTP 200 (emulator `error_200`)",
  },
  expired: {
    label: "token already expired",
    how: "a token whose `exp` passed a minute ago (emulator `expired_tokens`)",
  },
  no_exp: {
    label: "no exp / no expiry",
    how: "the token replaced by a JWT without `exp`; OAuth 2.0: an opaque token and no `expires_in` (wrapping fetch)",
  },
  "5mb": {
    label: "5 MB body",
    how: "5 MB of JSON whitespace before the answer, streamed, no `Content-Length` (wrapping fetch)",
  },
  date_ahead: {
    label: "Date +10 min",
    how: "the provider's clock 10 minutes ahead: `Date`, `exp`, `valid_until`, its checks (emulator `skew`)",
  },
  date_behind: {
    label: "Date −10 min",
    how: "the provider's clock 10 minutes behind (emulator `skew`)",
  },
};

export const FAULT_IDS: readonly FaultId[] = [
  "timeout",
  "reset",
  "5xx",
  "429",
  "html",
  "truncated",
  "error_200",
  "expired",
  "no_exp",
  "5mb",
  "date_ahead",
  "date_behind",
];

/** Each token state, as the milliseconds of life the cached token has left when `get()` runs. */
export const STATES: Record<StateId, { label: string; how: string }> = {
  cold: { label: "cold", how: "nothing cached" },
  warm: { label: "warm", how: "cached, 90 % of its lifetime left" },
  window: {
    label: "refresh window",
    how: "cached, 15 % of its lifetime left: past the refresh point (25 %), above the floor",
  },
  floor: { label: "below floor", how: "cached, 15 s left: below `minRemainingMs` (30 s)" },
};

export const STATE_IDS: readonly StateId[] = ["cold", "warm", "window", "floor"];

/** How much life the cached token has left in a state (the warm-up token's `lifetime` given). */
export function remainingMs(state: Exclude<StateId, "cold">, lifetime: number): number {
  if (state === "warm") return 0.9 * lifetime;
  if (state === "window") return 0.15 * lifetime;
  return 15_000;
}

/** The request policy of every cell: one retry, no real backoff (the runtime's sleep is a no-op). */
export const RETRIES = 1;

const tokens = (n: number): Partial<Calls> => ({ token: n });
const refreshes = (n: number): Partial<Calls> => ({ refresh: n });

/**
 * An obtain (generate, issue, obtain) under each fault: the same for every provider but where a
 * row says otherwise. Transient failures are retried once (two calls), 429 with a Retry-After
 * above `maxRetryAfterMs` is not, and nothing else is retried.
 */
function obtain(provider: ProviderId, fault: FaultId): Attempt {
  const once = tokens(1);
  switch (fault) {
    case "timeout":
      return { code: "timeout", calls: tokens(1 + RETRIES) };
    case "reset":
    case "5xx":
      return { code: "upstream_unavailable", calls: tokens(1 + RETRIES) };
    case "429":
      return { code: "rate_limited", calls: once };
    case "html":
    case "truncated":
    case "expired":
      return { code: "invalid_response", calls: once };
    case "error_200":
      // iPOSpays documents errors under 200: its code is read. The others' is a wrong shape.
      return provider === "ipospays"
        ? { code: "credentials", providerCode: "AUTH_ERR_004", calls: once }
        : { code: "invalid_response", calls: once };
    case "no_exp":
      // The seeded providers issue JWTs: one without exp is refused. A generic OAuth 2.0 token
      // with no expiry at all gets `defaultLifetime` (300 s).
      return provider === "oauth2" ? { calls: once } : { code: "invalid_response", calls: once };
    case "5mb":
      return { code: "response_too_large", calls: once };
    case "date_ahead":
    case "date_behind":
      return { calls: once };
  }
}

/**
 * Renewing a cached token that is still valid: iPOSpays and PaymentsGate refresh, Papaya and
 * OAuth 2.0 obtain anew.
 */
function renew(provider: ProviderId, fault: FaultId): Attempt {
  if (provider === "papaya" || provider === "oauth2") return obtain(provider, fault);
  if (provider === "paymentsgate") {
    // One attempt only: a retry would send the rotating refresh token twice. A refresh that
    // fails is not followed by an issue in the same call (the backoff comes first).
    const once = refreshes(1);
    switch (fault) {
      case "timeout":
        return { code: "timeout", calls: once };
      case "reset":
      case "5xx":
        return { code: "upstream_unavailable", calls: once };
      case "429":
        return { code: "rate_limited", calls: once };
      case "html":
      case "truncated":
      case "error_200":
      case "expired":
      case "no_exp":
        return { code: "invalid_response", calls: once };
      case "5mb":
        return { code: "response_too_large", calls: once };
      case "date_ahead":
      case "date_behind":
        // The refresh accepts an expired access token: a clock ahead changes nothing.
        return { calls: once };
    }
  }
  // iPOSpays: the refresh endpoint reissues; a refused refresh falls back to generating.
  switch (fault) {
    case "error_200":
      // AUTH_ERR_006 under 200 refuses the refresh; the generate then gets AUTH_ERR_004.
      return {
        code: "credentials",
        providerCode: "AUTH_ERR_004",
        calls: { refresh: 1, token: 1 },
      };
    case "date_ahead":
      // A provider clock 10 min ahead sees the token (≤ 4.5 min left) as expired: AUTH_ERR_007,
      // a refused refresh, so a new token is generated.
      return { calls: { refresh: 1, token: 1 } };
    default: {
      const { calls, ...rest } = obtain(provider, fault);
      return { ...rest, calls: refreshes(calls.token ?? 0) };
    }
  }
}

function fullCalls(calls: Partial<Calls>): Calls {
  return { token: calls.token ?? 0, refresh: calls.refresh ?? 0 };
}

/** What the token source must do in one cell. */
export function expectedCell(provider: ProviderId, fault: FaultId, state: StateId): Cell {
  if (state === "warm") {
    return { provider, fault, state, outcome: { kind: "cached" }, calls: fullCalls({}) };
  }
  const attempt = state === "cold" ? obtain(provider, fault) : renew(provider, fault);
  const calls = fullCalls(attempt.calls);
  if (attempt.code === undefined)
    return { provider, fault, state, outcome: { kind: "fresh" }, calls };
  if (state === "window") {
    return { provider, fault, state, outcome: { kind: "stale", code: attempt.code }, calls };
  }
  const outcome: Outcome = { kind: "error", code: attempt.code };
  if (attempt.providerCode !== undefined) outcome.providerCode = attempt.providerCode;
  return { provider, fault, state, outcome, calls };
}

/** Every cell, provider by provider, fault by fault, state by state. */
export function faultMatrix(): Cell[] {
  return PROVIDERS.flatMap((provider) =>
    FAULT_IDS.flatMap((fault) => STATE_IDS.map((state) => expectedCell(provider, fault, state))),
  );
}

/** A cell's outcome and calls in a few characters, for a test name and a table cell. */
export function describeCell(cell: Cell): string {
  const { outcome, calls } = cell;
  const what =
    outcome.kind === "cached"
      ? "cached"
      : outcome.kind === "fresh"
        ? "new token"
        : outcome.kind === "stale"
          ? `cached (stale), refresh failed \`${outcome.code}\``
          : `\`${outcome.code}\`${outcome.providerCode ? ` ${outcome.providerCode}` : ""}`;
  const parts = [
    ...(calls.token > 0 ? [`${calls.token} token`] : []),
    ...(calls.refresh > 0 ? [`${calls.refresh} refresh`] : []),
  ];
  return `${what} · ${parts.length === 0 ? "0 calls" : parts.join(" + ")}`;
}

/** The matrix as Markdown: how faults and states are made, then a table per provider. */
export function faultMatrixMarkdown(): string {
  const cells = faultMatrix();
  const sections: string[] = [
    [
      "| fault | how it is made |",
      "| --- | --- |",
      ...FAULT_IDS.map((fault) => `| ${FAULTS[fault].label} | ${FAULTS[fault].how} |`),
    ].join("\n"),
    [
      "| state | the cached token when `get()` runs |",
      "| --- | --- |",
      ...STATE_IDS.map((state) => `| ${STATES[state].label} | ${STATES[state].how} |`),
    ].join("\n"),
  ];
  for (const provider of PROVIDERS) {
    const header = `| fault | ${STATE_IDS.map((state) => STATES[state].label).join(" | ")} |`;
    const rule = `| --- | ${STATE_IDS.map(() => "---").join(" | ")} |`;
    const rows = FAULT_IDS.map((fault) => {
      const row = STATE_IDS.map((state) => {
        const cell = cells.find(
          (c) => c.provider === provider && c.fault === fault && c.state === state,
        );
        return cell === undefined ? "" : describeCell(cell);
      });
      return `| ${FAULTS[fault].label} | ${row.join(" | ")} |`;
    });
    sections.push(`### ${PROVIDER_LABELS[provider]}\n\n${[header, rule, ...rows].join("\n")}`);
  }
  return sections.join("\n\n");
}
