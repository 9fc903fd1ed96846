/**
 * The leak guard's scanner and record: what counts as a leak, and what a test run has shown of
 * itself — console output, thrown and rejected errors, the broker's error answers. Installed for
 * every test file by `no-leaks.ts` (vitest.config.ts `setupFiles`); tests reach it only to hand
 * over an error they caught (`recordError`) or to prove the guard works (`test/no-leaks.test.ts`).
 *
 * A leak is any of:
 * - a configured secret: the embedded default's credentials (scripts/embedded-default.ts, and
 *   client `demo`'s secret, named in wrangler.toml) and the test clients' and test providers'
 *   secrets (test/support/);
 * - a JWT: every broker token and every provider token the emulator issues is one, so `eyJ`
 *   followed by a JWT's shape is a token, whoever issued it;
 * - an issued token that is not a JWT (PaymentsGate's refresh tokens): learnt as the emulator
 *   and the test doubles put them on the wire (`learnIssued`).
 *
 * The state lives on `globalThis`, not in this module: workerd keeps one global scope for the
 * test files of a run, and the console and the hooks installed over it must reach the state of
 * the file that is running now.
 */

import { EMBEDDED_DEFAULT_SECRETS } from "../../scripts/embedded-default.ts";
import { DEFAULT_ACCOUNTS } from "../../src/emulator/accounts.ts";
import { API_KEY, SECRET } from "./double.ts";
import { AGENT, ISO, MERCHANT, PAPAYA } from "./emulator-wire.ts";

/** One name per value: the same value configured twice is reported once. */
function byValue(named: Record<string, string>): Record<string, string> {
  const names = new Map<string, string>();
  for (const [name, value] of Object.entries(named)) if (!names.has(value)) names.set(value, name);
  return Object.fromEntries([...names].map(([value, name]) => [name, value]));
}

/** The configured secrets, by a name a report may print (the value itself never is). */
export const CONFIGURED_SECRETS: Readonly<Record<string, string>> = byValue({
  ...Object.fromEntries(
    Object.entries(EMBEDDED_DEFAULT_SECRETS)
      // A public key and an account id are not secrets; everything else of the default is.
      .filter(([name]) => name !== "PAYMENTSGATE_PUBLIC_KEY"),
  ),
  // wrangler.toml: client `demo`, "secret `demo-secret`" (its hash is in BROKER_CLIENTS).
  "client demo": "demo-secret",
  // test/support/broker.ts: the test clients. Spelled out, not imported: importing broker.ts
  // here would load the broker into every test file, before the file's own mocks.
  "client shop": "shop-secret-7c1e9f0a2b4d6e8f",
  "client payroll": "payroll-secret-3a5c7e9b1d2f4a6c",
  "client payments-api": "payments-api-secret-9e8d7c6b5a4f",
  // test/support/double.ts: the fake provider's credentials.
  "double API_KEY": API_KEY,
  "double SECRET": SECRET,
  // test/support/emulator-wire.ts and the emulator's default accounts.
  ...Object.fromEntries(
    [MERCHANT, ISO, AGENT].flatMap(({ apiKey, secretKey }) => [
      [`ipospays ${apiKey}`, apiKey],
      [`ipospays secret of ${apiKey}`, secretKey],
    ]),
  ),
  ...Object.fromEntries(
    DEFAULT_ACCOUNTS.ipospays.map(({ apiKey, secretKey }) => [
      `emulator secret of ${apiKey}`,
      secretKey,
    ]),
  ),
  "papaya api_key": PAPAYA.api_key,
  "papaya client_secret": PAPAYA.client_secret,
  "emulator-wire HS256 secret": "not-the-emulators-secret-0123456789",
});

/** A compact JWS or JWE: a base64url JSON header (`{"` is `eyJ`), then dot-separated parts. */
const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/;

/** Issued values shorter than this are not learnt (the test double's `rt-1` would match anything). */
const MIN_LEARNT_LENGTH = 16;

/** Where a leak was seen and what it was — never the value, which a report would print again. */
export interface Hit {
  where: string;
  what: string;
}

interface GuardState {
  /** Texts scanned in this file. */
  scanned: number;
  hits: Hit[];
  learnt: Set<string>;
  /** Errors already scanned: an error asserted on five times is one error. */
  seen: WeakSet<object>;
}

function freshState(): GuardState {
  return { scanned: 0, hits: [], learnt: new Set(), seen: new WeakSet() };
}

const STATE = Symbol.for("edgetoken.leak-guard.state");

/** The running file's record (created on first use; `resetRecord` starts a file afresh). */
export function record(): GuardState {
  const global = globalThis as { [STATE]?: GuardState };
  global[STATE] ??= freshState();
  return global[STATE];
}

export function resetRecord(): void {
  (globalThis as { [STATE]?: GuardState })[STATE] = freshState();
}

/** What a leak looks like in `text`: one description per kind found, no values. */
export function findLeaks(text: string, learnt: Iterable<string> = record().learnt): string[] {
  const found: string[] = [];
  for (const [name, secret] of Object.entries(CONFIGURED_SECRETS)) {
    if (text.includes(secret)) found.push(`the configured secret "${name}"`);
  }
  const jwt = JWT_SHAPE.exec(text);
  if (jwt !== null) found.push(`a JWT (${jwt[0].length} characters, ${jwt[0].slice(0, 6)}…)`);
  for (const value of learnt) {
    if (text.includes(value)) found.push(`an issued token (${value.length} characters)`);
  }
  return found;
}

/** Every text a value shows of itself: an error's message, stack, cause and JSON; an object's JSON. */
export function textsOf(value: unknown, depth = 0): string[] {
  if (typeof value === "string") return [value];
  if (value === null || value === undefined || depth > 3) return [String(value)];
  if (typeof value !== "object" && typeof value !== "function") return [String(value)];
  const texts: string[] = [];
  if (value instanceof Error) {
    texts.push(`${value.name}: ${value.message}`, value.stack ?? "");
    if (value.cause !== undefined) texts.push(...textsOf(value.cause, depth + 1));
    if (value instanceof AggregateError) {
      for (const inner of value.errors) texts.push(...textsOf(inner, depth + 1));
    }
  }
  try {
    texts.push(JSON.stringify(value) ?? "");
  } catch {
    // A cycle or a BigInt: what String() shows is all there is.
  }
  try {
    texts.push(String(value));
  } catch {
    // An object without a usable toString.
  }
  return texts.filter((text) => text !== "");
}

/** Scans what a test run showed of itself at `where` and keeps any hit. */
export function recordOutput(where: string, values: readonly unknown[]): void {
  const state = record();
  for (const value of values) {
    if (typeof value === "object" && value !== null) {
      if (state.seen.has(value)) continue;
      state.seen.add(value);
    }
    // One hit per kind per value, however many of its texts (message, stack, JSON) show it.
    const found = new Set<string>();
    for (const text of textsOf(value)) {
      state.scanned++;
      for (const what of findLeaks(text, state.learnt)) found.add(what);
    }
    for (const what of found) state.hits.push({ where, what });
  }
}

/**
 * Hands the guard an error a test caught (a thrown error it asserts on, a refused RPC call), so
 * its message, stack and JSON are scanned like console output.
 *
 * @example
 * try { await source.get(); } catch (error) { recordError(error); … }
 */
export function recordError(error: unknown, where = "a caught error"): void {
  recordOutput(where, [error]);
}

/** Remembers an issued token that is not a JWT, so it counts as a leak wherever it shows up. */
export function learnIssued(value: string): void {
  if (value.length >= MIN_LEARNT_LENGTH && !JWT_SHAPE.test(value)) record().learnt.add(value);
}

/** The hits recorded so far, taken out of the record (the guard's tests plant some). */
export function takeHits(): Hit[] {
  const state = record();
  const hits = state.hits;
  state.hits = [];
  return hits;
}

/** The error a hook fails with when there were hits: where, and what, never the value. */
export function leakError(hits: readonly Hit[], scope: string): Error | undefined {
  if (hits.length === 0) return undefined;
  const lines = hits.slice(0, 20).map((hit) => `  ${hit.where}: ${hit.what}`);
  const more = hits.length > 20 ? [`  … and ${hits.length - 20} more`] : [];
  return new Error(
    `leak guard: ${hits.length} leak(s) ${scope}:\n${[...lines, ...more].join("\n")}`,
  );
}
