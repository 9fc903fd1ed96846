/**
 * The `rate_limited` line, once per budget per minute at most. A hostile client that sends
 * thousands of wrong secrets gets thousands of 429s; a line each would bury the log (and cost a
 * `console.warn` each). The first 429 of a budget (a client id, or `failures from <address>`)
 * writes its line at once; the 429s after it within {@link RATE_LIMIT_LOG_INTERVAL_MS} are only
 * counted, and the next line of that budget says how many with `suppressed` — the 429s since the
 * line before it that had no line of their own. A budget that stops being refused still gets its
 * summary: the next 429 of any budget after the minute, the cron, or the budget's eviction
 * writes it (without `retry_after`: it stands for refusals that are over).
 *
 * Every 429 is counted (`GET /counters`, the cron's `counters` line), whether it had a line or
 * not. Memory is bounded: at most {@link RATE_LIMIT_LOG_KEYS} budgets are tracked; the one whose
 * line is oldest goes first, writing its summary if it has 429s not yet told.
 */
import { refusalLine } from "./audit.ts";
import { count } from "./counters.ts";

/** One `rate_limited` line per budget at most this often (the broker's clock). */
export const RATE_LIMIT_LOG_INTERVAL_MS = 60_000;

/** Budgets tracked at once; beyond it the one with the oldest line is told and forgotten. */
export const RATE_LIMIT_LOG_KEYS = 1024;

export interface RateLimitLog {
  /** A 429 for `limiter`: its line now, or a count towards the next one. */
  refused(limiter: string, retryAfterSeconds: number, now: number): void;
  /** Writes the summaries of budgets whose minute is over (the cron calls it). */
  settle(now: number): void;
}

interface Tracked {
  /** When this budget's last line was written. */
  at: number;
  /** 429s since that line without a line of their own. */
  suppressed: number;
}

/**
 * Whether `entry`'s line is still within its minute at `now`. A `now` before the line's time is a
 * clock moved back: not within, so the budget is told and starts again rather than kept.
 */
function within(entry: Tracked, now: number): boolean {
  return now >= entry.at && now - entry.at < RATE_LIMIT_LOG_INTERVAL_MS;
}

export function createRateLimitLog(): RateLimitLog {
  // In the order their last lines were written: the first is the oldest.
  const tracked = new Map<string, Tracked>();
  const summarize = (limiter: string, entry: Tracked, now: number): void => {
    tracked.delete(limiter);
    if (entry.suppressed === 0) return;
    refusalLine({ event: "rate_limited", limiter, suppressed: entry.suppressed }, now);
  };
  const settle = (now: number): void => {
    for (const [limiter, entry] of tracked) {
      if (within(entry, now)) return;
      summarize(limiter, entry, now);
    }
  };
  return {
    refused(limiter, retryAfterSeconds, now) {
      count("rate_limited", {}, now);
      const entry = tracked.get(limiter);
      if (entry !== undefined && within(entry, now)) {
        entry.suppressed += 1;
      } else {
        if (entry !== undefined) tracked.delete(limiter);
        refusalLine(
          {
            event: "rate_limited",
            limiter,
            retry_after: retryAfterSeconds,
            ...(entry === undefined || entry.suppressed === 0
              ? {}
              : { suppressed: entry.suppressed }),
          },
          now,
        );
        tracked.set(limiter, { at: now, suppressed: 0 });
        if (tracked.size > RATE_LIMIT_LOG_KEYS) {
          const [oldest, first] = tracked.entries().next().value ?? [];
          if (oldest !== undefined && first !== undefined) summarize(oldest, first, now);
        }
      }
      settle(now);
    },
    settle,
  };
}
