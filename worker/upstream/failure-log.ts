/**
 * The `provider_token_failed` line, once per provider per minute. During an outage every caller
 * is refused, and a line each (thousands a minute) would bury what happened: the first failure
 * of a provider writes its line at once, the ones after it within the minute are only counted,
 * and the next line carries that `count` (the failures it stands for, itself included).
 */

/** One line per provider at most this often. */
export const FAILURE_LOG_INTERVAL_MS = 60_000;

/** What a `provider_token_failed` line says besides its count. */
export interface ProviderFailureLine {
  provider: string;
  code: string;
  provider_code?: string | undefined;
  status?: number | undefined;
  message?: string | undefined;
}

export interface FailureLog {
  /** Writes the line, or counts it towards the next one. `now` is the broker's clock. */
  record(line: ProviderFailureLine, now: number): void;
}

export function createFailureLog(): FailureLog {
  const last = new Map<string, { at: number; unlogged: number }>();
  return {
    record(line, now) {
      const previous = last.get(line.provider);
      // `now` is each request's arrival: one that arrived before the line was written (and
      // failed after it) belongs to the same minute, not to a new line.
      if (previous !== undefined && now - previous.at < FAILURE_LOG_INTERVAL_MS) {
        previous.unlogged += 1;
        return;
      }
      const count = (previous?.unlogged ?? 0) + 1;
      last.set(line.provider, { at: now, unlogged: 0 });
      console.error(
        JSON.stringify({
          event: "provider_token_failed",
          provider: line.provider,
          code: line.code,
          provider_code: line.provider_code,
          status: line.status,
          message: line.message,
          count,
          at: new Date(now).toISOString(),
        }),
      );
    },
  };
}
