/**
 * The broker as a value: `createBroker()` returns the Worker's `fetch` and `scheduled` handlers
 * and the calls behind its RPC entrypoint (`rpc/service.ts`), with the platform (provider
 * `fetch`, clock) injectable so tests run it against the emulator and move time. Here a request
 * finds its route (`routes.ts`: path, then method) and its handler's failure becomes the wire
 * error; the configuration is read once, at the first request.
 */
import type { RuntimeOptions } from "../src/index.ts";
import type { Call, Moment } from "./context.ts";
import { refreshProviderTokens } from "./cron.ts";
import { type Failure, isFailure, type Result } from "./oauth/failure.ts";
import { errorResponse } from "./oauth/wire-errors.ts";
import { type Route, route } from "./routes.ts";
import { type BrokerEnv, type BrokerState, buildState } from "./state.ts";

/** The escape hatches: what tests replace. */
export interface CreateBrokerOptions {
  /** The fetch used for provider calls and the proxy, and the clock. Default: the globals. */
  runtime?: RuntimeOptions;
  /** How long the proxy waits for an upstream answer, body included. Default 10 s. */
  proxyTimeoutMs?: number;
}

export interface Broker {
  fetch(request: Request, env: BrokerEnv, ctx: ExecutionContext): Promise<Response>;
  scheduled(controller: ScheduledController, env: BrokerEnv, ctx: ExecutionContext): Promise<void>;
  /**
   * Runs an RPC call (`rpc/service.ts`) with the clock read once and the state built: the call's
   * answer, the configuration's failure, or `server_error` for an exception no check anticipated.
   */
  call<T>(
    name: string,
    env: BrokerEnv,
    ctx: ExecutionContext,
    work: (at: Moment) => Promise<Result<T>>,
  ): Promise<Result<T>>;
}

async function dispatch(found: Route, call: Call): Promise<Response> {
  let answer: Response | Failure;
  try {
    answer = await found.handler(call);
  } catch (error) {
    logUnexpected(found.path, error);
    answer = { kind: "server_error" };
  }
  const response = isFailure(answer) ? errorResponse(answer) : answer;
  if (call.request.method !== "HEAD") return response;
  return new Response(null, { status: response.status, headers: response.headers });
}

/** Logs an exception no check anticipated: by name only, never its message (it may quote input). */
function logUnexpected(where: string, error: unknown): void {
  console.error(
    JSON.stringify({
      event: "unexpected_error",
      path: where,
      error: error instanceof Error ? error.name : typeof error,
    }),
  );
}

/**
 * Creates the broker's handlers. The Worker entry uses the defaults; tests pass the emulator's
 * fetch and a hand-moved clock.
 *
 * @example
 * const broker = createBroker({ runtime: { fetch: emulator.fetch, now: clock.now } });
 * const response = await broker.fetch(request, env, ctx);
 */
export function createBroker(options: CreateBrokerOptions = {}): Broker {
  const runtime = options.runtime ?? {};
  const now = runtime.now ?? Date.now;
  let state: Promise<Result<BrokerState>> | undefined;

  function stateFor(env: BrokerEnv): Promise<Result<BrokerState>> {
    state ??= buildState(env, runtime, options.proxyTimeoutMs).catch((error: unknown) => {
      state = undefined;
      throw error;
    });
    return state;
  }

  return {
    async fetch(request, env, ctx) {
      const at = now();
      const url = new URL(request.url);
      const built = await stateFor(env);
      if (!built.ok) return errorResponse(built.failure);
      const found = route(url.pathname);
      if (found === undefined) return errorResponse({ kind: "not_found" });
      if (!found.methods.includes(request.method)) {
        return errorResponse({ kind: "method_not_allowed", allow: found.methods });
      }
      const issuer = built.value.config.issuer ?? url.origin;
      return dispatch(found, { request, url, now: at, issuer, state: built.value, ctx });
    },
    async scheduled(_controller, env, ctx) {
      const built = await stateFor(env);
      if (!built.ok) return;
      // A budget refused within the last run and quiet since gets its summary line now.
      built.value.limits.settleLog(now());
      await refreshProviderTokens(built.value, ctx);
    },
    async call(name, env, ctx, work) {
      const at = now();
      try {
        const built = await stateFor(env);
        if (!built.ok) return built;
        return await work({ now: at, state: built.value, ctx });
      } catch (error) {
        logUnexpected(`rpc:${name}`, error);
        return { ok: false, failure: { kind: "server_error" } };
      }
    },
  };
}
