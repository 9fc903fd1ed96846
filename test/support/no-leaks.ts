/**
 * The leak guard over the whole suite (vitest.config.ts `setupFiles`): everything a test file
 * writes to the console, every error it throws, rejects or asserts on, and every error answer of
 * the broker's test world is scanned for the configured secrets and for issued tokens
 * (`leaks.ts`). A test with a hit fails in `afterEach`; what shows up between tests (a hook, late
 * background work) fails the file in `afterAll`. The count of texts scanned goes into the file's
 * task meta, which vitest.config.ts's reporter adds up.
 *
 * How each way out is watched:
 * - **console**: `globalThis.console` becomes a proxy that records every call before it reaches
 *   the method — the real one or a test's `vi.spyOn(console, …)` silencer alike, since a spy is
 *   installed on the console behind the proxy;
 * - **unhandled rejections**: workerd's global `unhandledrejection` event;
 * - **errors under assertion**: every `expect(…)` whose subject is an `Error` (`rejects` included)
 *   records it, and so does `expect(fn).toThrow()` with what `fn` threw, so the errors tests
 *   catch are scanned without each test asking;
 * - **caught errors**: `recordError` from `leaks.ts`, for the rest;
 * - **issued tokens that are not JWTs**: learnt when a JSON body with `refresh_token` is written.
 */
import { afterAll, afterEach, beforeAll, chai } from "vitest";
import {
  leakError,
  learnIssued,
  record,
  recordError,
  recordOutput,
  resetRecord,
  takeHits,
} from "./leaks.ts";

declare module "vitest" {
  interface TaskMeta {
    /** Texts the leak guard scanned in a test file (set on the file). */
    leakGuardScanned?: number;
  }
}

const INSTALLED = Symbol.for("edgetoken.leak-guard.installed");

const CONSOLE_METHODS = new Set(["log", "info", "warn", "error", "debug", "trace", "dir", "table"]);

/** Hooks that stay for the life of the global scope: installed once, reading the current record. */
function install(): void {
  const global = globalThis as unknown as { [INSTALLED]?: true; console: Console };
  if (global[INSTALLED]) return;
  global[INSTALLED] = true;

  const target = global.console;
  global.console = new Proxy(target, {
    get(object, key, receiver) {
      const value: unknown = Reflect.get(object, key, receiver);
      if (typeof key !== "string" || !CONSOLE_METHODS.has(key) || typeof value !== "function") {
        return value;
      }
      return (...args: unknown[]) => {
        recordOutput(`console.${key}`, args);
        return value.apply(object, args);
      };
    },
  });

  globalThis.addEventListener("unhandledrejection", (event) => {
    recordError(event.reason, "an unhandled rejection");
  });

  const assert = chai.Assertion.prototype.assert;
  chai.Assertion.prototype.assert = function (
    this: Chai.AssertionStatic,
    ...args: Parameters<typeof assert>
  ) {
    const subject: unknown = chai.util.flag(this, "object");
    if (subject instanceof Error) recordError(subject, "an error under assertion");
    return assert.apply(this, args);
  } as typeof assert;

  // `expect(() => …).toThrow()`: the function is called inside the matcher, so it is wrapped
  // first, to record what it throws.
  for (const name of ["toThrow", "toThrowError", "throw", "throws"]) {
    chai.util.overwriteMethod(
      chai.Assertion.prototype,
      name,
      (original: (...args: unknown[]) => unknown) => {
        return function (this: Chai.AssertionStatic, ...args: unknown[]) {
          const subject: unknown = chai.util.flag(this, "object");
          if (typeof subject === "function" && chai.util.flag(this, "promise") === undefined) {
            chai.util.flag(this, "object", (...inner: unknown[]) => {
              try {
                return subject(...inner);
              } catch (error) {
                recordError(error, "an error under assertion");
                throw error;
              }
            });
          }
          return original.apply(this, args);
        };
      },
    );
  }

  // Non-JWT tokens (PaymentsGate's refresh tokens) are learnt as they go on the wire: the
  // emulator and the test doubles write their bodies with JSON.stringify.
  const stringify = JSON.stringify;
  JSON.stringify = function (this: JSON, ...args: Parameters<typeof stringify>) {
    const text = stringify.apply(this, args);
    if (typeof text === "string" && text.includes('"refresh_token":"')) {
      for (const match of text.matchAll(/"refresh_token":"([^"\\]+)"/g)) {
        if (match[1] !== undefined) learnIssued(match[1]);
      }
    }
    return text;
  } as typeof stringify;
}

install();

beforeAll(() => {
  resetRecord();
});

afterEach(() => {
  const failure = leakError(takeHits(), "in this test");
  if (failure !== undefined) throw failure;
});

// biome-ignore lint/correctness/noEmptyPattern: vitest reads a hook's first parameter as fixtures.
afterAll(({}, suite) => {
  suite.meta.leakGuardScanned = record().scanned;
  const failure = leakError(takeHits(), "in this file, outside its tests");
  if (failure !== undefined) throw failure;
});
