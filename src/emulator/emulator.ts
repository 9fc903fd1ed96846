import type { JSONWebKeySet } from "jose";
import { type EmulatorAccounts, resolveAccounts } from "./accounts.ts";
import { handleControl, isControlPath } from "./controls.ts";
import { delay } from "./delay.ts";
import { discoveryReply } from "./discovery.ts";
import type { Endpoint, EndpointContext } from "./endpoint.ts";
import { faultReply } from "./fault-replies.ts";
import { createFaultBook, type Fault, type FaultTarget } from "./faults.ts";
import { createPayments } from "./idempotency.ts";
import { ipospaysEndpoints } from "./ipospays.ts";
import { createSigningKey } from "./keys.ts";
import { createLedger } from "./ledger.ts";
import { papayaEndpoints } from "./papaya.ts";
import { paymentsgateEndpoints } from "./paymentsgate.ts";
import {
  type EmulatorStorage,
  journalTo,
  keepPaymentsIn,
  restoreLedger,
  restorePayments,
} from "./persistence.ts";
import { methodNotAllowed, notFound, type Reply, toProviderResponse, toResponse } from "./reply.ts";
import { inspectToken, type TokenProblem } from "./tokens.ts";

/**
 * How to build an emulator: its clock and the accounts it accepts.
 *
 * @example
 * let t = Date.parse("2026-01-01T00:00:00Z");
 * const emulator = createEmulator({ now: () => t });
 */
export interface EmulatorOptions {
  /** The clock, epoch ms. Default `Date.now`. Tests share one hand-moved clock with the client. */
  now?: () => number;
  /** Replaces the default accounts of the providers it names. */
  accounts?: Partial<EmulatorAccounts>;
  /**
   * Where the signing key and the ledger (issued tokens, revocations, live refresh tokens) are
   * kept across restarts: a Durable Object's `ctx.storage`, as the emulator Worker does. Call
   * counts, faults and the clock offset are never kept. Default: nowhere (memory only).
   */
  storage?: EmulatorStorage;
}

/**
 * The three providers' auth APIs, offline, as one `fetch`-shaped handler with state, faults and
 * a clock. Requests are routed by URL path only (any host): `/ipospays/…`, `/paymentsgate/…`,
 * `/papaya/…`, with the providers' real paths below each prefix, controls under `/_emulator/`,
 * and a JSON index of all of it at `GET /`. Every method is bound: pass `emulator.fetch` around
 * on its own.
 *
 * @see PROVIDERS.md, "The emulator"
 * @example
 * const emulator = createEmulator();
 * const response = await emulator.fetch("http://emulator/ipospays/v1/authenticate-token", {
 *   method: "POST",
 *   headers: { apiKey: "demo-merchant-key", secretKey: "demo-merchant-secret", scope: "Recurring" },
 * });
 * emulator.calls(); // { "POST /ipospays/v1/authenticate-token": 1 }
 */
export interface Emulator {
  /** Answers like the providers would. A path starting with `/` is taken relative to any host. */
  fetch(input: Request | string | URL, init?: RequestInit): Promise<Response>;
  /** Calls per endpoint since the last reset, keyed `"METHOD /path"`; controls are not counted. */
  calls(): Record<string, number>;
  /**
   * Tokens refused per endpoint since the last reset, by why: `{"GET /papaya/v1/payments":
   * {"expired": 1}}`. What a client sent that it should not have — an expired token at an API
   * endpoint, say — shows here.
   */
  refused(): Record<string, Partial<Record<TokenProblem, number>>>;
  addFault(fault: Fault): void;
  clearFaults(): void;
  /**
   * Moves the emulator's clock by `ms` (an offset added to `now()`). A test that shares its
   * `now` with the client moves that clock instead: doing both moves the emulator twice.
   */
  advance(ms: number): void;
  /** The protected endpoints refuse this token from now on; iPOSpays refresh does too. */
  revoke(token: string): void;
  /** Forgets issued tokens, refresh tokens, revocations, payments by key, counts, faults and the clock offset. */
  reset(): void;
  /** The public key that signs every token, as a JWK set (`kid` "APIKEY0", RS256). */
  jwks(): Promise<JSONWebKeySet>;
}

const ENDPOINTS: readonly Endpoint[] = [
  ...ipospaysEndpoints,
  ...paymentsgateEndpoints,
  ...papayaEndpoints,
];

/** Relative URLs are accepted (`"/papaya/token"`): routing reads the path only. */
function toRequest(input: Request | string | URL, init?: RequestInit): Request {
  if (typeof input === "string" && input.startsWith("/")) {
    return new Request(new URL(input, "http://emulator.invalid"), init);
  }
  return new Request(input, init);
}

/** Keeps every date the emulator prints valid. */
const MAX_OFFSET_MS = 100 * 365 * 86_400_000;

/**
 * Creates an emulator of the iPOSpays, PaymentsGate and Papaya Global auth APIs with its own
 * signing key, state, call counts, faults and clock offset.
 *
 * @example
 * const emulator = createEmulator({ now: clock.now });
 * emulator.addFault({ provider: "papaya", kind: "rate_limit", retryAfter: 2, count: 1 });
 * const source = createTokenSource(provider, { runtime: { fetch: emulator.fetch, now: clock.now } });
 */
export function createEmulator(options: EmulatorOptions = {}): Emulator {
  const now = options.now ?? (() => Date.now());
  const accounts = resolveAccounts(options.accounts);
  const storage = options.storage;
  const key = createSigningKey(storage);
  const ledger = createLedger(storage === undefined ? undefined : journalTo(storage));
  // The ledger is read back once, before the first request is answered (lazily: a Worker may
  // build its emulator where no I/O is allowed).
  let restoring: Promise<void> | undefined;
  let restored = storage === undefined;
  const faults = createFaultBook();
  const payments = createPayments(storage === undefined ? undefined : keepPaymentsIn(storage));
  const counts = new Map<string, number>();
  const refusals = new Map<string, Partial<Record<TokenProblem, number>>>();
  const discovery = discoveryReply(ENDPOINTS, accounts);
  let offset = 0;
  const clock = (): number => now() + offset;

  async function answer(endpoint: Endpoint, request: Request): Promise<Response> {
    const target: FaultTarget = { provider: endpoint.provider, endpoint: endpoint.kind };
    const latency = faults.takeAll(target, "latency").reduce((sum, fault) => sum + fault.ms, 0);
    if (latency > 0) await delay(latency, request.signal);
    const providerNow = clock() + (faults.take(target, ["skew"])?.ms ?? 0);
    const replacing = faults.take(target, [
      "status",
      "rate_limit",
      "malformed",
      "non_json",
      "error_200",
    ]);
    if (replacing !== undefined && replacing.kind !== "error_200") {
      return toProviderResponse(faultReply(endpoint, replacing, providerNow), providerNow);
    }
    const live = replacing === undefined;
    const context: EndpointContext = {
      now: providerNow,
      live,
      accounts,
      ledger,
      payments,
      fault: (kind) =>
        (live ? faults.take(target, [kind]) : faults.peek(target, [kind])) !== undefined,
      sign: (header, claims) => key.sign(header, claims),
      inspect: async (token, idOf) => {
        const inspection = await inspectToken(
          token,
          { provider: endpoint.provider, idOf },
          { key, ledger, nowMs: providerNow },
        );
        if (!inspection.ok) {
          const name = `${endpoint.method} ${endpoint.path}`;
          const problems = refusals.get(name) ?? {};
          problems[inspection.problem] = (problems[inspection.problem] ?? 0) + 1;
          refusals.set(name, problems);
        }
        return inspection;
      },
    };
    let reply: Reply;
    try {
      reply = await endpoint.handle(request, context);
    } catch {
      // Handlers answer bad input themselves; this only keeps a bug from becoming a 5xx.
      reply = endpoint.badRequest;
    }
    if (!live) {
      // error_200: the error the request earned, or the endpoint's usual refusal, under 200.
      const error = reply.status >= 400 ? reply : endpoint.refusal;
      reply = { ...error, status: 200 };
    }
    return toProviderResponse(reply, providerNow);
  }

  async function route(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (isControlPath(path)) return handleControl(request, path, emulator, clock());
    if (path === "/") {
      // The index, like the controls, is not a provider's: not counted, never faulted.
      const reply = request.method === "GET" ? discovery : methodNotAllowed(["GET"]);
      return toResponse(reply, clock());
    }
    const atPath = ENDPOINTS.filter((endpoint) => endpoint.path === path);
    const endpoint = atPath.find((candidate) => candidate.method === request.method);
    if (endpoint === undefined) {
      const reply =
        atPath.length === 0
          ? notFound(path)
          : methodNotAllowed(atPath.map((candidate) => candidate.method));
      return toResponse(reply, clock());
    }
    const name = `${endpoint.method} ${endpoint.path}`;
    counts.set(name, (counts.get(name) ?? 0) + 1);
    return answer(endpoint, request);
  }

  const emulator: Emulator = {
    fetch: async (input, init) => {
      if (!restored && storage !== undefined) {
        // A storage that cannot be read leaves an empty ledger: the emulator still answers.
        restoring ??= Promise.all([
          restoreLedger(ledger, storage),
          restorePayments(payments, storage),
        ]).then(
          () => {},
          () => {},
        );
        await restoring;
        restored = true;
      }
      return route(toRequest(input, init));
    },
    calls: () => Object.fromEntries(counts),
    refused: () =>
      Object.fromEntries([...refusals].map(([name, problems]) => [name, { ...problems }])),
    addFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    advance: (ms) => {
      if (!Number.isFinite(ms) || Math.abs(offset + ms) > MAX_OFFSET_MS) {
        throw new RangeError(
          "advance(ms) takes a finite number of milliseconds, within 100 years.",
        );
      }
      offset += ms;
    },
    revoke: (token) => ledger.revoke(token),
    reset: () => {
      ledger.clear();
      payments.clear();
      faults.clear();
      counts.clear();
      refusals.clear();
      offset = 0;
    },
    jwks: () => key.jwks(),
  };
  return emulator;
}
