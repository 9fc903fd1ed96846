/**
 * The token source: the token in memory and its refresh point, one provider call at a time
 * (single flight), and a memory of recent failures. Where a token comes from — the store, a
 * lease, the provider — is `shared-token.ts`; `fetch` with the token is `authenticated-fetch.ts`;
 * the refresh point and the backoff are `schedule.ts`.
 */
import { authenticatedFetch } from "./authenticated-fetch.ts";
import { EdgeTokenError, isEdgeTokenError, isPermanent } from "./errors.ts";
import type { EventBody, TokenSourceEvent } from "./events.ts";
import { abortable } from "./internal/abortable.ts";
import type { Provider } from "./provider.ts";
import { type Runtime, resolveRuntime } from "./runtime.ts";
import { failureWaitMs, refreshPoint, tokenDraw } from "./schedule.ts";
import { type Cache, SharedToken } from "./shared-token.ts";
import { type SourceSettings, sourceSettings, type TokenSourceOptions } from "./source-settings.ts";
import type { Token } from "./token.ts";

export type { TokenSourceOptions } from "./source-settings.ts";

/** A Workers `ExecutionContext`, or anything else that keeps background work alive. */
export interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void;
}

/** Per-call options of {@link TokenSource.get} and {@link TokenSource.fetch}. */
export interface GetOptions {
  /** Lets a background refresh outlive the request in Workers (`ctx.waitUntil`). */
  ctx?: WaitUntil | undefined;
  /** Stops waiting (the shared provider call goes on for the others). */
  signal?: AbortSignal | undefined;
}

interface Entry {
  token: Token;
  promise: Promise<Token>;
  refreshAt: number;
}

/** The one provider call in progress, shared by every caller (and, in Workers, every request). */
interface Flight {
  promise: Promise<Token>;
  /** When it started (the runtime's clock): one older than the deadline is given up on. */
  startedAt: number;
}

interface RememberedFailure {
  error: EdgeTokenError;
  until: number;
}

function deadlineError(deadlineMs: number): EdgeTokenError {
  return new EdgeTokenError(
    "timeout",
    `No token within ${deadlineMs} ms (TokenSourceOptions.deadlineMs).`,
  );
}

/**
 * Waits for the shared call on this caller's own timer and signal: in Workers, a request then
 * never depends on another request's I/O to finish — if the request that started the call goes
 * away and its I/O with it, the others still wake up at their deadline with a typed error.
 */
function waitFor<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  deadlineMs: number,
): Promise<T> {
  // Our own timer: Node does not stay alive for `AbortSignal.timeout`, and a waiter must wake.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), deadlineMs);
  const either =
    signal === undefined ? deadline.signal : AbortSignal.any([signal, deadline.signal]);
  return abortable(promise, either)
    .catch((error: unknown) => {
      if (signal?.aborted) throw new EdgeTokenError("aborted", "get() was aborted.");
      if (deadline.signal.aborted) throw deadlineError(deadlineMs);
      throw error;
    })
    .finally(() => clearTimeout(timer));
}

/**
 * The token source's memory as its shared token reads it: one small object per source with its
 * methods on a prototype (closures would cost each source ~250 B of heap). Defined inside the
 * class, below, to reach its private fields.
 */
let SourceCache: new (source: TokenSource) => Cache;

/**
 * The object an application holds: one per provider, credential and scope. It serves tokens from
 * memory, then the store, then the provider; makes one provider call at a time however many
 * callers wait; refreshes in the background ahead of expiry; keeps serving a still-valid token
 * while refreshes fail; and never hands out a token below the floor.
 *
 * @example
 * const source = createTokenSource(provider, { store: createKvStore(env.TOKENS) });
 * const token = await source.get({ ctx });
 * const response = await source.fetch("https://api.example/v1/charge", { method: "POST", body });
 */
export class TokenSource {
  readonly #provider: Provider;
  readonly #runtime: Runtime;
  readonly #settings: SourceSettings;
  readonly #shared: SharedToken;
  /** Under a lease, the refresh point's draw comes from the token, so the fleet agrees on it. */
  readonly #leased: boolean;
  readonly #onEvent: TokenSourceOptions["onEvent"];
  #entry: Entry | undefined;
  #inflight: Flight | undefined;
  #failure: RememberedFailure | undefined;
  #failures = 0;

  constructor(provider: Provider, options: TokenSourceOptions = {}) {
    const settings = sourceSettings(options);
    this.#provider = provider;
    this.#runtime = resolveRuntime(options.runtime);
    this.#settings = settings;
    this.#onEvent = options.onEvent;
    if (options.lease !== undefined && options.store === undefined) {
      throw new EdgeTokenError(
        "configuration",
        "TokenSourceOptions.lease needs a store: waiting instances take the token from it.",
      );
    }
    this.#leased = options.lease !== undefined;
    this.#shared = new SharedToken(provider, this.#runtime, settings, new SourceCache(this));
  }

  static {
    SourceCache = class {
      readonly #source: TokenSource;
      constructor(source: TokenSource) {
        this.#source = source;
      }
      current(): Token | undefined {
        return this.#source.#entry?.token;
      }
      adopt(token: Token, at?: number): number {
        return this.#source.#adopt(token, at).refreshAt;
      }
      emit(event: EventBody): void {
        this.#source.#emit(event);
      }
    };
  }

  /**
   * A token with more than the floor of life left. Cached calls resolve from memory without
   * allocating; past the refresh point the current token is still served while a refresh runs
   * behind it (kept alive by `ctx.waitUntil` when given).
   */
  get(options?: GetOptions): Promise<Token> {
    const entry = this.#entry;
    if (entry !== undefined && this.#runtime.now() < entry.refreshAt) return entry.promise;
    return this.#slowGet(options);
  }

  /**
   * `fetch` with the token attached the provider's way. When the response says the token was
   * refused (401, or the provider's own signal), the token is renewed once — one renewal however
   * many requests carried it — and the request is replayed once if its body can be sent again.
   * Redirects come back as they are (`redirect: "manual"`) unless `init.redirect` says otherwise.
   *
   * @example
   * const res = await source.fetch(`${base}/api/v3/iposTransact`, { method: "POST", body }, { ctx });
   */
  fetch(
    input: Request | string | URL,
    init?: RequestInit,
    options?: GetOptions,
  ): Promise<Response> {
    return authenticatedFetch(input, init, {
      provider: this.#provider,
      runtime: this.#runtime,
      renewCooldownMs: this.#settings.renewCooldown,
      token: () => this.get(options),
      refused: (token) => this.#forget(token),
    });
  }

  /**
   * Drops the cached token here, and in the store if the stored one is still the same (a newer
   * token another instance stored meanwhile stays: compare-and-delete in one step where the
   * store can (`deleteIf`, Redis), else read, compare, delete — best effort, as KV has no
   * compare-and-swap). The next `get()` obtains a new one.
   */
  async invalidate(): Promise<void> {
    const entry = this.#entry;
    this.#entry = undefined;
    if (entry === undefined) return;
    this.#shared.refuse(entry.token.value);
    await this.#shared.delete(entry.token.value);
  }

  /**
   * Says that an API refused `token`: it is dropped here and never taken from the store again,
   * and the next `get()` takes a newer token from the store (another instance may have renewed
   * already) or obtains one, through the single flight. Unlike {@link invalidate}, the store is
   * left alone. For callers that attach the token themselves (a proxy, a backend holding a
   * provider token); `fetch` does this on its own.
   *
   * @example
   * if (response.status === 401) source.refuse(token); // then: token = await source.get()
   */
  refuse(token: Token): void {
    this.#forget(token);
  }

  /** What a log shows (also Node's `console.log`, below): what it is for, never the token. */
  toJSON(): Record<string, unknown> {
    const { provider, environment, scope } = this.#provider.key;
    const expiresAt = this.#entry?.token.expiresAt;
    return { provider, environment, scope, cached: expiresAt !== undefined, expiresAt };
  }

  #forget(token: Token): void {
    // Only the first refusal of a token drops it; later ones find a newer token already in place.
    this.#shared.refuse(token.value);
    if (this.#entry?.token !== token) return;
    this.#entry = undefined;
    this.#emit({ type: "renewing" });
    // A backoff keeps background refreshes off a failing provider; it must not stand between a
    // refused request and its renewal (that still goes through the single flight).
    if (this.#failure !== undefined && !isPermanent(this.#failure.error)) this.#failure = undefined;
  }

  async #slowGet(options: GetOptions | undefined): Promise<Token> {
    const now = this.#runtime.now();
    const entry = this.#entry;
    if (entry !== undefined && entry.token.expiresAt - now > this.#settings.minRemainingMs) {
      this.#refreshBehind(now, options?.ctx);
      return entry.token;
    }
    const waited = waitFor(
      this.#acquire(now, options?.ctx),
      options?.signal,
      this.#settings.deadline,
    );
    if (this.#onEvent === undefined) return waited;
    const ms = (): number => this.#runtime.now() - now;
    return waited.then(
      (token) => {
        this.#emit({ type: "waited", ms: ms(), outcome: "token" });
        return token;
      },
      (error: EdgeTokenError) => {
        this.#emit({ type: "waited", ms: ms(), outcome: error.code });
        throw error;
      },
    );
  }

  #emit(event: EventBody): void {
    const { provider, environment, scope } = this.#provider.key;
    try {
      this.#onEvent?.({ provider, environment, scope, ...event } as TokenSourceEvent);
    } catch {
      // A listener's failure is not the source's: it must not change what callers get.
    }
  }

  /**
   * Starts a refresh behind the token served, unless one is in flight or a failure is remembered:
   * checked here, so that the requests of a refresh window make no promise each (`#acquire` would
   * hand each the flight's or a rejection, to be caught).
   */
  #refreshBehind(now: number, ctx: WaitUntil | undefined): void {
    if (this.#live(now) !== undefined) return;
    if (this.#failure !== undefined && now < this.#failure.until) return;
    // Failures are recorded by #acquire; the current token keeps being served meanwhile.
    this.#acquire(now, ctx).catch(() => undefined);
  }

  /** The flight in progress, unless it outlived its deadline (its request's I/O went away). */
  #live(now: number): Flight | undefined {
    const flight = this.#inflight;
    if (flight !== undefined && now - flight.startedAt > this.#settings.deadline + 1_000) {
      this.#inflight = undefined;
      return undefined;
    }
    return flight;
  }

  #acquire(now: number, ctx: WaitUntil | undefined): Promise<Token> {
    const live = this.#live(now);
    if (live !== undefined) return live.promise;
    const failure = this.#failure;
    if (failure !== undefined && now < failure.until) return Promise.reject(failure.error);
    // The call has its own deadline, not any caller's signal: it serves every caller, and a
    // caller that stops waiting must not stop it for the others.
    const deadline = AbortSignal.timeout(this.#settings.deadline);
    const settle = (): void => {
      if (this.#inflight === flight) this.#inflight = undefined;
    };
    const promise = abortable(this.#shared.load(deadline), deadline).then(
      (token) => {
        this.#failure = undefined;
        this.#failures = 0;
        settle();
        return token;
      },
      (error: unknown) => {
        const typed = deadline.aborted
          ? deadlineError(this.#settings.deadline)
          : isEdgeTokenError(error)
            ? error
            : new EdgeTokenError("invalid_response", "The provider failed unexpectedly.", {
                cause: error,
              });
        this.#recordFailure(typed);
        settle();
        throw typed;
      },
    );
    const flight: Flight = { promise, startedAt: now };
    this.#inflight = flight;
    // The request that starts the call keeps it alive until it ends (Workers cancel a finished
    // request's I/O), so the others waiting on it get its token even if this caller gives up.
    ctx?.waitUntil(flight.promise.catch(() => undefined));
    return flight.promise;
  }

  #recordFailure(error: EdgeTokenError): void {
    const now = this.#runtime.now();
    let wait = this.#settings.permanentErrorTtl;
    if (!isPermanent(error)) {
      this.#failures += 1;
      wait = failureWaitMs(
        this.#failures,
        this.#settings.backoff,
        this.#runtime.random(),
        error.retryAfterMs,
      );
    }
    this.#failure = { error, until: now + wait };
    const left = (this.#entry?.token.expiresAt ?? 0) - now;
    const serving = left > this.#settings.minRemainingMs;
    this.#emit({ type: "refresh_failed", code: error.code, serving, retryInMs: wait });
  }

  #adopt(token: Token, at?: number): Entry {
    const draw = this.#leased ? tokenDraw(token) : this.#runtime.random();
    const refreshAt = at ?? refreshPoint(token, this.#settings, draw);
    const entry = { token, promise: Promise.resolve(token), refreshAt };
    this.#entry = entry;
    return entry;
  }
}

// Node's `console.log(source)`; defined here, as a computed name cannot be declared in a class.
Object.defineProperty(TokenSource.prototype, Symbol.for("nodejs.util.inspect.custom"), {
  value(this: TokenSource) {
    return { TokenSource: this.toJSON() };
  },
});

/**
 * Creates a {@link TokenSource}: hold one per provider, credential and scope, for the life of
 * the isolate or process.
 *
 * @example
 * const source = createTokenSource(provider, {
 *   store: createKvStore(env.TOKENS),
 *   refreshAhead: 0.25,
 *   minRemainingMs: 30_000,
 * });
 */
export function createTokenSource(provider: Provider, options?: TokenSourceOptions): TokenSource {
  return new TokenSource(provider, options);
}
