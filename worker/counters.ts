/**
 * What this isolate of the broker did since it started, counted: every audit and refusal line
 * by its event (and client, scope or reason), and every event of the provider token sources by
 * type and scope. Names and numbers only — the same closed lists the lines are made of. An
 * operator reads them at `GET /counters` (clients with `operator: true`) and in the `counters`
 * line the cron writes every run. Per isolate: a fleet's total is the sum over the lines.
 */

/** Counts keyed `event{label=value,…}`, as Prometheus writes a series. */
export interface CountersSnapshot {
  /** When this isolate counted its first event (ISO 8601), or null before it. */
  since: string | null;
  counts: Record<string, number>;
}

const counts = new Map<string, number>();
let since: number | undefined;

function seriesName(event: string, labels: Record<string, string | undefined>): string {
  const pairs = Object.entries(labels)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${name}=${value}`);
  return pairs.length === 0 ? event : `${event}{${pairs.join(",")}}`;
}

/** Adds one to a series; `now` is the broker's clock. */
export function count(
  event: string,
  labels: Record<string, string | undefined>,
  now: number,
): void {
  since ??= now;
  const name = seriesName(event, labels);
  counts.set(name, (counts.get(name) ?? 0) + 1);
}

/** Every series, sorted by name. */
export function countersSnapshot(): CountersSnapshot {
  const sorted = [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    since: since === undefined ? null : new Date(since).toISOString(),
    counts: Object.fromEntries(sorted),
  };
}
