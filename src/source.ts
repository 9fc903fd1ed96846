import { EdgeTokenError, isEdgeTokenError, isPermanent } from "./errors.ts";
import { abortable } from "./internal/abortable.ts";
import { storeKeyName } from "./key-name.ts";
import type { TokenLease } from "./lease.ts";
import type { Provider, ProviderContext, ResponseVerdict } from "./provider.ts";
import { type Runtime, type RuntimeOptions, resolveRuntime } from "./runtime.ts";
import type { TokenStore } from "./store.ts";
import type { Token } from "./token.ts";

/** Options of {@link createTokenSource}: what users tune. */
export interface TokenSourceOptions {
  /** A shared store (Workers KV, memory) consulted before the provider. Default: none. */
  store?: TokenStore | undefined;
  /**
   * Refresh when this share of the token's lifetime is left: 0.25 refreshes a 30-minute token
   * 7.5 minutes early and a 24-hour one 6 hours early. Default 0.25.
   */
  refreshAhead?: number | undefined;
  /** A random share of the lifetime, up to this, is added to `refreshAhead` per token. Default 0.1. */
  refreshJitter?: number | undefined;
  /** A token with this little life left is never handed out. Default 30 000 ms. */
  minRemainingMs?: number | undefined;
  /** How long a credential, scope or configuration error is remembered. Default 30 000 ms. */
  permanentErrorTtlMs?: number | undefined;
  /** Backoff after a transient failure: first wait, doubled each time, capped. Default 1 s → 60 s. */
  backoff?: { baseMs?: number | undefined; maxMs?: number | undefined } | undefined;
  /**
   * A lease shared by every instance (a Durable Object, say), so that one of them calls the
   * provider per key while the others wait for its token in the store. Needs a `store`.
   */
  lease?: TokenLease | undefined;
  /** How long a lease holder may take before the others stop waiting. Default 15 000 ms. */
  leaseMs?: number | undefined;
  /**
   * A token refused (401) within this long of being obtained is not renewed: the response goes
   * back as it is, so requests that provoke 401s cannot become one auth call each. Default 1 000 ms.
   */
  renewCooldownMs?: number | undefined;
  /** The platform: fetch, clock, sleep, random. Defaults to the globals. */
  runtime?: RuntimeOptions | undefined;
}

/** How often an instance waiting on another's lease looks in the store. */
const LEASE_POLL_MS = 250;

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

interface Failure {
  error: EdgeTokenError;
  until: number;
}

function share(value: number | undefined, fallback: number, name: string): number {
  const result = value ?? fallback;
  if (!(result >= 0 && result < 1)) {
    throw new EdgeTokenError("configuration", `TokenSourceOptions.${name} must be in [0, 1).`);
  }
  return result;
}

function duration(value: number | undefined, fallback: number, name: string): number {
  const result = value ?? fallback;
  if (!(result >= 0 && Number.isFinite(result))) {
    throw new EdgeTokenError(
      "configuration",
      `TokenSourceOptions.${name} must be a finite number ≥ 0.`,
    );
  }
  return result;
}

function waitFor<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return abortable(promise, signal).catch((error: unknown) => {
    throw signal.aborted ? new EdgeTokenError("aborted", "get() was aborted.") : error;
  });
}

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
  readonly #store: TokenStore | undefined;
  readonly #runtime: Runtime;
  readonly #refreshAhead: number;
  readonly #refreshJitter: number;
  readonly #floor: number;
  readonly #permanentErrorTtl: number;
  readonly #backoffBase: number;
  readonly #backoffMax: number;
  readonly #lease: TokenLease | undefined;
  readonly #leaseMs: number;
  readonly #renewCooldown: number;
  /** Names this source to the lease: random, so two instances never pass for one another. */
  readonly #holder: string = crypto.randomUUID();
  #entry: Entry | undefined;
  #inflight: Promise<Token> | undefined;
  #failure: Failure | undefined;
  #failures = 0;
  /** The value of the last token an API refused: never adopted again from the store. */
  #refused: string | undefined;
  #keyName: Promise<string> | undefined;

  constructor(provider: Provider, options: TokenSourceOptions = {}) {
    this.#provider = provider;
    this.#store = options.store;
    this.#runtime = resolveRuntime(options.runtime);
    this.#refreshAhead = share(options.refreshAhead, 0.25, "refreshAhead");
    this.#refreshJitter = share(options.refreshJitter, 0.1, "refreshJitter");
    this.#floor = duration(options.minRemainingMs, 30_000, "minRemainingMs");
    this.#permanentErrorTtl = duration(options.permanentErrorTtlMs, 30_000, "permanentErrorTtlMs");
    this.#backoffBase = duration(options.backoff?.baseMs, 1_000, "backoff.baseMs");
    this.#backoffMax = duration(options.backoff?.maxMs, 60_000, "backoff.maxMs");
    this.#lease = options.lease;
    this.#leaseMs = duration(options.leaseMs, 15_000, "leaseMs");
    this.#renewCooldown = duration(options.renewCooldownMs, 1_000, "renewCooldownMs");
    if (this.#lease !== undefined && this.#store === undefined) {
      throw new EdgeTokenError(
        "configuration",
        "TokenSourceOptions.lease needs a store: waiting instances take the token from it.",
      );
    }
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
  async fetch(
    input: Request | string | URL,
    init?: RequestInit,
    options?: GetOptions,
  ): Promise<Response> {
    // Redirects are not followed unless the caller asks: the token would travel with them to
    // wherever they point (browsers drop Authorization across origins, not a `token` header).
    const request =
      init?.redirect === undefined && !(input instanceof Request)
        ? new Request(input, { ...init, redirect: "manual" })
        : new Request(input, init);
    // A stream the caller handed over can be read once; anything else can be sent again.
    const replayable = !(init?.body instanceof ReadableStream);
    const spare = replayable && request.body !== null ? request.clone() : request;
    const token = await this.get(options);
    const response = await this.#runtime.fetch(this.#provider.apply(request, token));
    const verdict: ResponseVerdict =
      (await this.#provider.inspect?.(response)) ?? (response.status === 401 ? "rejected" : "ok");
    if (verdict === "ok") return response;
    // A token refused the moment it was obtained is not the token's fault (a bad request, or a
    // caller provoking 401s): renewing it would turn every such request into an auth call.
    if (this.#runtime.now() - token.obtainedAt < this.#renewCooldown) return response;
    this.#forget(token);
    if (verdict === "renew" || !replayable) return response;
    const renewed = await this.get(options);
    await response.body?.cancel().catch(() => {});
    return this.#runtime.fetch(this.#provider.apply(spare, renewed));
  }

  /** Drops the cached token here and in the store; the next `get()` obtains a new one. */
  async invalidate(): Promise<void> {
    const entry = this.#entry;
    this.#entry = undefined;
    if (entry !== undefined) this.#refused = entry.token.value;
    if (this.#store !== undefined) await this.#store.delete(await this.#key());
  }

  toJSON(): Record<string, unknown> {
    const { provider, environment, scope } = this.#provider.key;
    return { provider, environment, scope, cached: this.#entry !== undefined };
  }

  #forget(token: Token): void {
    // Only the first refusal of a token drops it; later ones find a newer token already in place.
    this.#refused = token.value;
    if (this.#entry?.token === token) this.#entry = undefined;
  }

  async #slowGet(options: GetOptions | undefined): Promise<Token> {
    const now = this.#runtime.now();
    const entry = this.#entry;
    if (entry !== undefined && entry.token.expiresAt - now > this.#floor) {
      this.#refreshBehind(now, options?.ctx);
      return entry.token;
    }
    return waitFor(this.#acquire(now), options?.signal);
  }

  #refreshBehind(now: number, ctx: WaitUntil | undefined): void {
    if (this.#inflight !== undefined) return;
    if (this.#failure !== undefined && now < this.#failure.until) return;
    // Failures are recorded by #acquire; the current token keeps being served meanwhile.
    const background = this.#acquire(now).then(
      () => undefined,
      () => undefined,
    );
    ctx?.waitUntil(background);
  }

  #acquire(now: number): Promise<Token> {
    if (this.#inflight !== undefined) return this.#inflight;
    const failure = this.#failure;
    if (failure !== undefined && now < failure.until) return Promise.reject(failure.error);
    const inflight = this.#load().then(
      (token) => {
        this.#failure = undefined;
        this.#failures = 0;
        this.#inflight = undefined;
        return token;
      },
      (error: unknown) => {
        const typed = isEdgeTokenError(error)
          ? error
          : new EdgeTokenError("invalid_response", "The provider failed unexpectedly.", {
              cause: error,
            });
        this.#recordFailure(typed);
        this.#inflight = undefined;
        throw typed;
      },
    );
    this.#inflight = inflight;
    return inflight;
  }

  #recordFailure(error: EdgeTokenError): void {
    const now = this.#runtime.now();
    if (isPermanent(error)) {
      this.#failure = { error, until: now + this.#permanentErrorTtl };
      return;
    }
    this.#failures += 1;
    const ceiling = Math.min(this.#backoffMax, this.#backoffBase * 2 ** (this.#failures - 1));
    // Half fixed, half jitter: a fleet that failed together does not retry together.
    const wait = Math.max(
      Math.min(error.retryAfterMs ?? 0, this.#backoffMax),
      ceiling / 2 + (this.#runtime.random() * ceiling) / 2,
    );
    this.#failure = { error, until: now + wait };
  }

  #key(): Promise<string> {
    this.#keyName ??= storeKeyName(this.#provider.key);
    return this.#keyName;
  }

  #refreshAt(token: Token): number {
    const lifetime = token.lifetime;
    const ahead = this.#refreshAhead + this.#runtime.random() * this.#refreshJitter;
    const point = token.expiresAt - lifetime * ahead;
    // Leave at least one floor of slack for the refresh itself, but never refresh before
    // half the lifetime has passed (a token barely above the floor would refresh on every call).
    const planned = Math.max(
      token.obtainedAt + lifetime / 2,
      Math.min(point, token.expiresAt - 2 * this.#floor),
    );
    // The cached path serves until this point without looking: never past the floor.
    return Math.min(planned, token.expiresAt - this.#floor);
  }

  #adopt(token: Token): Entry {
    const entry = { token, promise: Promise.resolve(token), refreshAt: this.#refreshAt(token) };
    this.#entry = entry;
    return entry;
  }

  async #readStore(key: string): Promise<Token | undefined> {
    if (this.#store === undefined) return undefined;
    try {
      const stored = await this.#store.get(key);
      return stored?.value === this.#refused ? undefined : stored;
    } catch {
      return undefined;
    }
  }

  /**
   * Looks in the store for a token newer than ours (another instance's). Adopts it when it is
   * above the floor, and returns it as `ready` when it is not yet due for refresh; returns it as
   * `newer` in any case, since its refresh handle is the live one.
   */
  async #fromStore(key: string): Promise<{ ready?: Token; newer?: Token }> {
    const stored = await this.#readStore(key);
    const current = this.#entry?.token;
    if (
      stored === undefined ||
      (current !== undefined && stored.obtainedAt <= current.obtainedAt)
    ) {
      return {};
    }
    const now = this.#runtime.now();
    if (!(stored.expiresAt - now > this.#floor)) return { newer: stored };
    const entry = this.#adopt(stored);
    return now < entry.refreshAt ? { ready: stored, newer: stored } : { newer: stored };
  }

  async #load(): Promise<Token> {
    const key = await this.#key();
    const first = await this.#fromStore(key);
    if (first.ready !== undefined) return first.ready;
    let newer = first.newer;
    const lease = this.#lease;
    if (lease === undefined) return this.#obtainAndStore(key, newer);
    const holder = this.#holder;
    const take = (): Promise<boolean> => {
      const now = this.#runtime.now();
      // A lease service that fails must not stop tokens: go on as if there were none.
      return lease.acquire(key, holder, now, now + this.#leaseMs).catch(() => true);
    };
    let held = await take();
    // Another instance is calling the provider: wait for its token to reach the store.
    for (let poll = 0; !held && poll < this.#leaseMs / LEASE_POLL_MS; poll++) {
      await this.#runtime.sleep(LEASE_POLL_MS);
      const seen = await this.#fromStore(key);
      if (seen.ready !== undefined) return seen.ready;
      newer = seen.newer ?? newer;
      held = await take();
    }
    // Held, or its holder never delivered within the lease: obtain here.
    try {
      return await this.#obtainAndStore(key, newer);
    } finally {
      if (held) await lease.release(key, holder).catch(() => undefined);
    }
  }

  async #obtainAndStore(key: string, stored: Token | undefined): Promise<Token> {
    const now = this.#runtime.now();
    const current = this.#entry?.token;
    // Refresh from the newest token anyone has: its refresh handle is the one still live.
    const previous =
      stored !== undefined && (current === undefined || stored.obtainedAt > current.obtainedAt)
        ? stored
        : current;
    const token = await this.#obtainOrRefresh(previous, now);
    const left = token.expiresAt - this.#runtime.now();
    if (!(left > this.#floor)) {
      throw new EdgeTokenError(
        "invalid_response",
        `${this.#provider.key.provider} issued a token with ${Math.round(left / 1000)} s of life, below minRemainingMs.`,
      );
    }
    if (this.#store !== undefined) {
      // Stored before it is used: a rotating refresh handle must not be lost with this isolate.
      await this.#store.set(key, token).catch(() => undefined);
    }
    return this.#adopt(token).token;
  }

  #obtainOrRefresh(previous: Token | undefined, now: number): Promise<Token> {
    const provider = this.#provider;
    const context: ProviderContext = { runtime: this.#runtime };
    if (
      previous === undefined ||
      provider.refresh === undefined ||
      !(provider.canRefresh?.(previous, now) ?? true)
    ) {
      return provider.obtain(context);
    }
    return provider.refresh(previous, context).catch((error: unknown) => {
      if (isEdgeTokenError(error, "refresh_rejected")) return provider.obtain(context);
      throw error;
    });
  }
}

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
