/**
 * The KV faults as data: a token store on real local KV (test/stores/kv-faults.test.ts wraps the
 * binding to make each fault), and what the token source must do. The test runs one named test
 * per row and asserts its provider calls and `store_failed` events; `node
 * scripts/reliability-faults.mjs` prints the rows as the KV table of docs/reliability/faults.md.
 * Plain data: no workerd, no vitest.
 */
import type { Calls } from "./fault-matrix.ts";

export type StoreOperation = "get" | "set" | "delete";

export interface KvFaultRow {
  id: string;
  /** What KV does wrong. */
  fault: string;
  /** What the token source holds, and what it is asked. */
  state: string;
  /** What it must do. */
  outcome: string;
  /** Calls the emulator sees. */
  calls: Partial<Calls>;
  /** The `store_failed` events it reports, in order. */
  events: readonly StoreOperation[];
}

/** A value under our key that is not a token record we wrote, and must read as a miss. */
export const CORRUPT_VALUES: readonly {
  label: string;
  raw: (now: number, key: string) => string;
}[] = [
  { label: "not JSON", raw: () => "{not json" },
  { label: "truncated JSON", raw: (now, key) => record(now, key).slice(0, 40) },
  { label: "JSON null", raw: () => "null" },
  { label: "a JSON array", raw: () => "[]" },
  { label: "the wrong shape", raw: () => JSON.stringify({ token: "abc", ttl: 3600 }) },
  { label: "another record version", raw: (now, key) => record(now, key, { v: 2 }) },
  { label: "a numeric value", raw: (now, key) => record(now, key, { value: 42 }) },
  { label: "a string expiresAt", raw: (now, key) => record(now, key, { expiresAt: "tomorrow" }) },
  { label: "no obtainedAt", raw: (now, key) => record(now, key, { obtainedAt: undefined }) },
  { label: "a numeric refreshToken", raw: (now, key) => record(now, key, { refreshToken: 7 }) },
  {
    label: "expiresAt before obtainedAt",
    raw: (now, key) => record(now, key, { obtainedAt: now + 7_200_000 }),
  },
];

/** A record of the right shape for `key`, with an hour of life, and `changes` made to it. */
function record(now: number, key: string, changes: Record<string, unknown> = {}): string {
  return JSON.stringify({
    v: 1,
    key,
    value: "corrupt-token-value",
    expiresAt: now + 3_600_000,
    obtainedAt: now,
    ...changes,
  });
}

/** Where a foreign token comes from: a source that differs from ours in one part of its key. */
export const FOREIGN: readonly { label: string; differs: string }[] = [
  { label: "another scope", differs: "iPOSpays Recurring, ours PaymentTokenization" },
  { label: "another provider", differs: "a Papaya token" },
  { label: "another endpoint", differs: "the same key and scope from another base URL" },
  { label: "another credential", differs: "the ISO key's token, ours the merchant key's" },
];

export const KV_FAULTS: readonly KvFaultRow[] = [
  {
    id: "get-throws-cold",
    fault: "`get` throws",
    state: "cold",
    outcome: "a new token from the provider; it is still stored",
    calls: { token: 1 },
    events: ["get"],
  },
  {
    id: "get-throws-window",
    fault: "`get` throws",
    state: "refresh window",
    outcome: "the cached token at once; refreshed behind it",
    calls: { refresh: 1 },
    events: ["get"],
  },
  {
    id: "get-hangs",
    fault: "`get` never answers",
    state: "cold",
    outcome: "given up on after a quarter of `deadlineMs`: a new token from the provider",
    calls: { token: 1 },
    events: ["get"],
  },
  {
    id: "put-hangs",
    fault: "`put` never answers",
    state: "cold",
    outcome: "given up on after a quarter of `deadlineMs`: the new token is served",
    calls: { token: 1 },
    events: ["set"],
  },
  {
    id: "put-throws",
    fault: "`put` throws",
    state: "cold, then a second instance",
    outcome: "the new token is served; the second instance, finding nothing, obtains its own",
    calls: { token: 2 },
    events: ["set", "set"],
  },
  {
    id: "delete-throws",
    fault: "`delete` throws",
    state: "warm, `invalidate()`",
    outcome: "`invalidate()` resolves; the next `get()` obtains a new token",
    calls: { token: 1 },
    events: ["delete"],
  },
  {
    id: "stale-newer-held",
    fault: "stale value: the older token after a newer was written",
    state: "refresh window, holding the newer",
    outcome: "the older token is not adopted; the newer is refreshed",
    calls: { refresh: 1 },
    events: [],
  },
  {
    id: "stale-expired",
    fault: "stale value: the older token, expired (KV keeps an entry ≥ 60 s)",
    state: "cold (a new instance)",
    outcome: "a miss: a new token from the provider",
    calls: { token: 1 },
    events: [],
  },
  {
    id: "stale-below-floor",
    fault: "stale value: the older token, below the floor",
    state: "cold (a new instance)",
    outcome: "not served; iPOSpays reissues from it",
    calls: { refresh: 1 },
    events: [],
  },
  {
    id: "stale-rotated",
    fault: "stale value: a PaymentsGate token whose refresh token was already rotated",
    state: "cold (a new instance)",
    outcome: "the spent refresh token is never sent: a new token is issued",
    calls: { token: 1 },
    events: [],
  },
  ...CORRUPT_VALUES.map(
    ({ label }): KvFaultRow => ({
      id: `corrupt-${label}`,
      fault: `corrupt value: ${label}`,
      state: "cold",
      outcome: "a miss: a new token from the provider, stored over it",
      calls: { token: 1 },
      events: [],
    }),
  ),
  ...FOREIGN.map(
    ({ label, differs }): KvFaultRow => ({
      id: `foreign-${label}`,
      fault: `wrong key: ${label} (${differs})`,
      state: "cold",
      outcome: "never served: a new token from the provider, stored over it",
      calls: { token: 1 },
      events: [],
    }),
  ),
];

/** The KV faults as a Markdown table. */
export function kvFaultsMarkdown(): string {
  const calls = (row: KvFaultRow): string => {
    const parts = [
      ...(row.calls.token ? [`${row.calls.token} token`] : []),
      ...(row.calls.refresh ? [`${row.calls.refresh} refresh`] : []),
    ];
    return parts.length === 0 ? "0" : parts.join(" + ");
  };
  const events = (row: KvFaultRow): string =>
    row.events.length === 0 ? "—" : row.events.map((op) => `\`store_failed\` ${op}`).join(", ");
  return [
    "| KV fault | state | outcome | auth calls | events |",
    "| --- | --- | --- | --- | --- |",
    ...KV_FAULTS.map(
      (row) => `| ${row.fault} | ${row.state} | ${row.outcome} | ${calls(row)} | ${events(row)} |`,
    ),
  ].join("\n");
}
