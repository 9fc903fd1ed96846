/**
 * How audit lines reach `console.log`: at once when the isolate is quiet, and grouped under load
 * — once an isolate writes {@link BUSY_LINES} lines within {@link LINE_WINDOW_MS}, lines it
 * writes within that window of its last write go out together, in one `console.log` call, one
 * JSON object per line, in the order they were written. Fewer lines than that (an isolate
 * answering requests one after another, a test) go out at once, each in a call of its own.
 *
 * Why: a `console.log` call has a fixed cost well above the line's own. Under `wrangler dev`
 * every call crosses the inspector to wrangler's Node process, which writes it to its debug log
 * file twice (about 2.5 ms of CPU per call on the benchmark machine, more than the rest of a
 * token request); deployed, each call is an entry in the invocation's logs. Grouping keeps the
 * count of calls at one per window however busy the isolate is. The window: 20 ms groups too
 * few lines at a few hundred requests a second to matter; 100 ms brings the line's cost to
 * about a third of what it was (BENCHMARKS.md), and a log line 100 ms late costs nobody anything.
 *
 * Why no line is lost: a line is turned into its text when it is written, and every request
 * whose line waits holds its own timer in `ctx.waitUntil`, so the platform keeps the isolate
 * until the line is out, as for any work after the response. The wait is at most
 * {@link LINE_WINDOW_MS}; a crash of the isolate inside it loses what any `waitUntil` would.
 * A group is written by whichever waiting request's timer fires first, so under load a line may
 * appear in the log of another request than its own; every line names its client, `jti` and
 * time (`at`), so none depends on where it is printed.
 */
import type { WaitUntil } from "../src/index.ts";

/** Lines written this soon after the last write wait for the next one, at most this long. */
export const LINE_WINDOW_MS = 100;

/**
 * How many lines within one window make an isolate busy: with fewer, every line goes out at once
 * (an isolate answering requests one after another gains nothing from waiting).
 */
export const BUSY_LINES = 5;

/** Where lines go and when it is; tests pass their own. */
export interface LineSink {
  log(text: string): void;
  /** Real time in ms (pacing only: never the broker's clock, which tests move). */
  now(): number;
  /** Resolves after `ms`. */
  wait(ms: number): Promise<void>;
}

export interface LineWriter {
  /** Writes `line` now, or with the next group while `ctx` waits for it; without `ctx`, now. */
  write(line: string, ctx?: WaitUntil): void;
}

const platform: LineSink = {
  log: (text) => console.log(text),
  now: () => Date.now(),
  wait: (ms) => scheduler.wait(ms),
};

/**
 * A writer for one isolate.
 *
 * @example
 * const lines = createLineWriter();
 * lines.write(JSON.stringify({ event: "token_issued" }), ctx);
 */
export function createLineWriter(sink: LineSink = platform): LineWriter {
  let pending: string[] = [];
  let lastWrite = Number.NEGATIVE_INFINITY;
  /** When the last lines before this one were written, oldest first (at most BUSY_LINES - 1). */
  const recent: number[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const lines = pending;
    pending = [];
    lastWrite = sink.now();
    sink.log(lines.join("\n"));
  };
  return {
    write(line, ctx) {
      const now = sink.now();
      const oldest = recent.length === BUSY_LINES - 1 ? recent[0] : undefined;
      const busy = oldest !== undefined && now - oldest < LINE_WINDOW_MS && now >= oldest;
      recent.push(now);
      if (recent.length > BUSY_LINES - 1) recent.shift();
      if (
        ctx === undefined ||
        !busy ||
        (pending.length === 0 && now - lastWrite >= LINE_WINDOW_MS)
      ) {
        flush();
        lastWrite = now;
        sink.log(line);
        return;
      }
      pending.push(line);
      const wait = Math.min(LINE_WINDOW_MS, Math.max(0, lastWrite + LINE_WINDOW_MS - now));
      ctx.waitUntil(sink.wait(wait).then(flush));
    },
  };
}
