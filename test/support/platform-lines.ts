/**
 * What workerd prints during `npm test` that is the platform's, not ours: each kind below is
 * provoked on purpose by the test it names, and none can be made quieter from our side (each was
 * tried: see docs/contributing.md, "What a green run prints"). vitest.config.ts installs this in
 * vitest's main process, where the Workers plugin writes workerd's log lines to stdout/stderr.
 *
 * A line is held back only when it is exactly one of these (the header values, the error
 * message, the port the test dials), and a chunk only when every line of it is. Held back is not
 * dropped: the reporter prints how many were held and, when the run did not pass, every one of
 * them in full, so a real failure's output is never hidden. Anything else prints as it comes.
 */
import type { Reporter, TestModule, TestRunEndReason } from "vitest/node";

interface PlatformLine {
  /** The test that provokes it. */
  test: string;
  /** The line, whole. */
  line: RegExp;
  /** Only right after a held line of the same chunk or the chunk before (workerd's `stack:`). */
  continuation?: true;
}

const WORKERD_STACK = /^stack: (?:\S+\/workerd@[0-9a-f]+ ?)+$/;

export const PLATFORM_LINES: readonly PlatformLine[] = [
  // workerd logs every exception an RPC method throws as uncaught, on the broker's side, though
  // the caller catches it (`wrangler dev` prints the same). Marking the rejected promise handled
  // does not quiet it: workerd logs the call's outcome, not an unhandled rejection.
  {
    test: 'test/broker/rpc.test.ts, "through a real service binding"',
    line: /^uncaught exception; source = Uncaught \(in promise\); stack = BrokerServiceError: invalid_client: Client authentication failed\.$/,
  },
  {
    test: 'test/broker/rpc.test.ts, "through a real service binding"',
    line: /^ {4}at (?:serviceError|answered|BrokerService\.(?:brokerToken|providerToken)) \(\S+\/worker\/rpc\/(?:calls|service)\.ts:\d+:\d+\)$/,
    continuation: true,
  },
  // workerd warns whenever a Headers value holds a non-ASCII character; the test sends raw
  // bytes on purpose, these three values exactly.
  {
    test: "test/broker/limits.test.ts (raw non-ASCII header bytes)",
    line: /^A header value for "(?:Authorization|Origin|Content-Type)" contains non-ASCII characters: "(?:Basic ÿþ|ÿ|ÿ\/þ)" \(raw bytes: "[\\x0-9a-f]+"\)\. As a quirk to support Unicode, we are encoding values as UTF-8 in the header, but in a browser this would likely result in a TypeError exception\. Consider encoding this string in ASCII for compatibility with browser implementations of the Fetch specification\.$/,
  },
  // A fetch to 127.0.0.1:1, where nothing listens: workerd logs its own connection error even
  // when the rejection is caught (a bare `await fetch("http://127.0.0.1:1/").catch(() => {})`
  // prints the same four lines).
  {
    test: 'test/library/source-fetch-errors.test.ts, "workerd\'s own failure to connect"',
    line: /^exception = rust\/worker\/ffi\.rs:\d+: disconnected: Connection refused \(os error 111\)$/,
  },
  {
    test: 'test/library/source-fetch-errors.test.ts, "workerd\'s own failure to connect"',
    line: /^uncaught exception; source = Uncaught \(in promise\); stack = Error: Network connection lost\.$/,
  },
  {
    test: 'test/library/source-fetch-errors.test.ts, "workerd\'s own failure to connect"',
    line: /^uncaught exception; exception = workerd\/jsg\/value\.h:\d+: disconnected: jsg\.Error: Network connection lost\.$/,
  },
  {
    test: 'test/library/source-fetch-errors.test.ts, "workerd\'s own failure to connect"',
    line: WORKERD_STACK,
    continuation: true,
  },
];

const INSTALLED = Symbol.for("edgetoken.platform-lines.installed");

/** What was held back, in order, with the test each line is expected from. */
const held: Array<{ text: string; tests: Set<string> }> = [];

/** stdout's own `write`, for printing what was held back. */
let writeOut: (text: string) => void = (text) => process.stdout.write(text);

/**
 * Every line of the chunk is one of PLATFORM_LINES (a continuation only after a held line):
 * the tests they come from; otherwise undefined.
 */
function classify(text: string, afterHeld: boolean): Set<string> | undefined {
  const lines = text.replace(/\n$/, "").split("\n");
  const tests = new Set<string>();
  let previousHeld = afterHeld;
  for (const line of lines) {
    const known = PLATFORM_LINES.find(
      (candidate) => candidate.line.test(line) && (candidate.continuation !== true || previousHeld),
    );
    if (known === undefined) return undefined;
    tests.add(known.test);
    previousHeld = true;
  }
  return tests;
}

/** Holds back the platform's expected lines on stdout and stderr (installed once per process). */
export function holdBackPlatformLines(): void {
  const global = globalThis as { [INSTALLED]?: true };
  if (global[INSTALLED]) return;
  global[INSTALLED] = true;
  let lastHeld = false;
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    if (stream === process.stdout) writeOut = (text) => write(text);
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const text =
        typeof chunk === "string"
          ? chunk
          : chunk instanceof Uint8Array
            ? Buffer.from(chunk).toString("utf8")
            : undefined;
      const tests = text === undefined || text.trim() === "" ? undefined : classify(text, lastHeld);
      if (text !== undefined && tests !== undefined) {
        held.push({ text, tests });
        lastHeld = true;
        const done = rest.find((value) => typeof value === "function") as (() => void) | undefined;
        done?.();
        return true;
      }
      if (text !== undefined && text.trim() !== "") lastHeld = false;
      return write(chunk, ...rest);
    }) as typeof stream.write;
  }
}

/** Says what was held back; prints all of it when the run did not pass. */
export class PlatformLinesReporter implements Reporter {
  onTestRunEnd(
    _modules: ReadonlyArray<TestModule>,
    _errors: ReadonlyArray<unknown>,
    reason: TestRunEndReason,
  ): void {
    if (held.length === 0) return;
    const lines = held.reduce(
      (sum, entry) => sum + entry.text.replace(/\n$/, "").split("\n").length,
      0,
    );
    const tests = new Set(held.flatMap((entry) => [...entry.tests]));
    if (reason === "passed") {
      console.log(
        `platform lines: ${lines} lines workerd prints on purpose held back, from ${[...tests].join("; ")} (docs/contributing.md, "What a green run prints")`,
      );
      return;
    }
    console.log(`platform lines held back during this run (it did not pass), in full:`);
    for (const entry of held) writeOut(entry.text.endsWith("\n") ? entry.text : `${entry.text}\n`);
  }
}
