/**
 * The broker as a value: `createBroker()` returns the Worker's `fetch` and `scheduled` handlers
 * and the calls behind its RPC entrypoint (`service.ts`), with the platform (provider `fetch`, clock) injectable so tests run it against the emulator
 * and move time. Here requests are routed: path, then method, then the handler; the
 * configuration is read once, at the first request.
 */
import type { RuntimeOptions } from "../src/index.ts";
import type { Call, Handler, Moment } from "./context.ts";
import { refreshProviderTokens } from "./cron.ts";
import { demoSessionEndpoint } from "./endpoints/demo-session.ts";
import {
  healthEndpoint,
  indexEndpoint,
  jwksEndpoint,
  metadataEndpoint,
  PATHS,
} from "./endpoints/discovery.ts";
import { introspectEndpoint } from "./endpoints/introspect.ts";
import { proxyEndpoint } from "./endpoints/proxy.ts";
import { revokeEndpoint } from "./endpoints/revoke.ts";
import { tokenEndpoint } from "./endpoints/token.ts";
import { type Failure, isFailure, type Result } from "./oauth/failure.ts";
import { errorResponse } from "./oauth/wire-errors.ts";
import {
  type BrokerTokenAnswer,
  type ProviderTokenAnswer,
  rpcBrokerToken,
  rpcProviderToken,
  serviceError,
} from "./rpc/calls.ts";
import { type BrokerEnv, buildState, type StateResult } from "./state.ts";
import { providerTokenEndpoint } from "./upstream/provider-token.ts";

/** The escape hatches: what tests replace. */
export interface BrokerOptions {
  /** The fetch used for provider calls and the proxy, and the clock. Default: the globals. */
  runtime?: RuntimeOptions;
}

export interface Broker {
  fetch(request: Request, env: BrokerEnv, ctx: ExecutionContext): Promise<Response>;
  scheduled(controller: ScheduledController, env: BrokerEnv, ctx: ExecutionContext): Promise<void>;
  /**
   * RPC `brokerToken` (`service.ts`): `props` are the service binding's, naming the client.
   * Throws a `BrokerServiceError` (`rpc.ts`) when refused.
   */
  brokerToken(
    props: unknown,
    request: unknown,
    env: BrokerEnv,
    ctx: ExecutionContext,
  ): Promise<BrokerTokenAnswer>;
  /** RPC `providerToken`, likewise. */
  providerToken(
    props: unknown,
    scope: unknown,
    env: BrokerEnv,
    ctx: ExecutionContext,
  ): Promise<ProviderTokenAnswer>;
}

interface Route {
  path: string;
  /** Whether `path` is a prefix (the proxy) rather than the whole path. */
  prefix?: boolean;
  methods: readonly string[];
  handler: Handler;
}

const GET = ["GET", "HEAD"];
const POST = ["POST"];
/** The proxy checks methods per path itself (`proxy-rules.ts`). */
const ANY = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

const ROUTES: readonly Route[] = [
  { path: PATHS.index, methods: GET, handler: indexEndpoint },
  { path: PATHS.health, methods: GET, handler: healthEndpoint },
  { path: PATHS.metadata, methods: GET, handler: metadataEndpoint },
  { path: PATHS.jwks, methods: GET, handler: jwksEndpoint },
  { path: PATHS.token, methods: POST, handler: tokenEndpoint },
  { path: PATHS.revocation, methods: POST, handler: revokeEndpoint },
  { path: PATHS.introspection, methods: POST, handler: introspectEndpoint },
  { path: PATHS.providerToken, methods: POST, handler: providerTokenEndpoint },
  { path: PATHS.proxy, prefix: true, methods: ANY, handler: proxyEndpoint },
  { path: PATHS.demoSession, methods: POST, handler: demoSessionEndpoint },
];

function route(pathname: string): Route | undefined {
  return ROUTES.find((candidate) =>
    candidate.prefix === true ? pathname.startsWith(candidate.path) : pathname === candidate.path,
  );
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

/** An RPC call's answer, or the `BrokerServiceError` it is refused with. */
async function answerCall<T>(method: string, call: () => Promise<Result<T>>): Promise<T> {
  let answer: Result<T>;
  try {
    answer = await call();
  } catch (error) {
    logUnexpected(`rpc:${method}`, error);
    answer = { ok: false, failure: { kind: "server_error" } };
  }
  if (answer.ok) return answer.value;
  throw serviceError(answer.failure);
}

/**
 * Creates the broker's handlers. The Worker entry uses the defaults; tests pass the emulator's
 * fetch and a hand-moved clock.
 *
 * @example
 * const broker = createBroker({ runtime: { fetch: emulator.fetch, now: clock.now } });
 * const response = await broker.fetch(request, env, ctx);
 */
export function createBroker(options: BrokerOptions = {}): Broker {
  const runtime = options.runtime ?? {};
  const now = runtime.now ?? Date.now;
  let state: Promise<StateResult> | undefined;

  function stateFor(env: BrokerEnv): Promise<StateResult> {
    state ??= buildState(env, runtime).catch((error: unknown) => {
      state = undefined;
      throw error;
    });
    return state;
  }

  /** An RPC call with the clock read once and the state built, or the configuration failure. */
  async function withState<T>(
    env: BrokerEnv,
    ctx: ExecutionContext,
    call: (at: Moment) => Promise<Result<T>>,
  ): Promise<Result<T>> {
    const at = now();
    const built = await stateFor(env);
    if (!built.ok) return built;
    return call({ now: at, state: built.state, ctx });
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
      const issuer = built.state.config.issuer ?? url.origin;
      return dispatch(found, { request, url, now: at, issuer, state: built.state, ctx });
    },
    async scheduled(_controller, env, ctx) {
      const built = await stateFor(env);
      if (!built.ok) return;
      await refreshProviderTokens(built.state, ctx);
    },
    brokerToken(props, request, env, ctx) {
      return answerCall("brokerToken", () =>
        withState(env, ctx, (at) => rpcBrokerToken(at, props, request)),
      );
    },
    providerToken(props, scope, env, ctx) {
      return answerCall("providerToken", () =>
        withState(env, ctx, (at) => rpcProviderToken(at, props, scope)),
      );
    },
  };
}
