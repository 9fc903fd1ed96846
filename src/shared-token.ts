import { EdgeTokenError, isEdgeTokenError } from "./errors.ts";
import type { EventBody, LeaseOutcome } from "./events.ts";
import { withinMs } from "./internal/time-limit.ts";
import { storeKeyName } from "./key-name.ts";
import type { TokenLease } from "./lease.ts";
import type { Provider, ProviderContext } from "./provider.ts";
import type { Runtime } from "./runtime.ts";
import type { TokenStore } from "./store.ts";
import type { Token } from "./token.ts";

/** How often an instance waiting on another's lease looks in the store. */
const LEASE_POLL_MS = 250;

/**
 * How long a source that put its refresh off (`#keep`: the lease failed it, or told of a newer
 * token than its store read showed) serves its token before it looks again.
 */
const DEFER_MS = 5_000;

/** The token source's memory, as the shared token sees it. */
export interface Cache {
  /** The token held in memory, if any. */
  current(): Token | undefined;
  /** Takes a token into memory; returns its refresh point (epoch ms): `at` if given. */
  adopt(token: Token, at?: number): number;
  /** Reports what happened (the source's `onEvent`). */
  emit(event: EventBody): void;
}

/** The token source's options that the shared token reads, checked and with defaults. */
export interface SharedTokenSettings {
  store: TokenStore | undefined;
  lease: TokenLease | undefined;
  leaseMs: number;
  minRemainingMs: number;
  /**
   * The most a store or lease call may take: past it, the call counts as failed and the source
   * goes on without it, so a KV or Durable Object that hangs does not stop tokens.
   */
  backendTimeoutMs: number;
}

/**
 * The token every instance shares for one key: read from the store (another instance's, newer
 * than ours, is adopted), waited for while another instance holds the lease, otherwise refreshed
 * or obtained from the provider — and stored before it is used.
 */
export class SharedToken {
  readonly #provider: Provider;
  readonly #runtime: Runtime;
  readonly #cache: Cache;
  readonly #settings: SharedTokenSettings;
  /**
   * Names this source to the lease: random, so two instances never pass for one another. Drawn
   * when a lease is first asked (a source without one keeps no name: a UUID costs ~500 B here).
   */
  #holder: string | undefined;
  /** The value of the last token an API refused: never adopted again from the store. */
  #refused: string | undefined;
  #keyName: Promise<string> | undefined;
  /**
   * Tokens with a rotating handle this instance got from the provider itself: those handles are
   * its own. Made with the first such token (only a rotating handle is ever looked up here).
   */
  #own: WeakSet<Token> | undefined;
  /** The token `#keep` last served on because the lease failed: not served on twice for that. */
  #kept: Token | undefined;

  constructor(provider: Provider, runtime: Runtime, settings: SharedTokenSettings, cache: Cache) {
    this.#provider = provider;
    this.#runtime = runtime;
    this.#cache = cache;
    this.#settings = settings;
  }

  /** A store or lease call, failed when it takes longer than its share of the deadline. */
  #bounded<T>(call: () => Promise<T>): Promise<T> {
    return withinMs(call, this.#settings.backendTimeoutMs);
  }

  /** An API refused this token value: the store's copy of it is a miss from now on. */
  refuse(value: string): void {
    this.#refused = value;
  }

  /**
   * Drops the stored token if it is still `value` (the one this source had): another instance
   * may have stored a newer one meanwhile, which must stay. A store that can compare and delete
   * in one step (`deleteIf`, Redis) does it; KV has no compare-and-swap, so there it is
   * read-compare-delete — best effort: a token stored between the read and the delete is still
   * lost (it costs that instance one auth call, never a wrong token).
   */
  async delete(value: string): Promise<void> {
    const store = this.#settings.store;
    if (store === undefined) return;
    const key = await this.#key();
    const deleteIf = store.deleteIf?.bind(store);
    try {
      if (deleteIf !== undefined) {
        await this.#bounded(() => deleteIf(key, value));
        return;
      }
      let stored: Token | undefined;
      try {
        stored = await this.#bounded(() => store.get(key));
      } catch {
        stored = undefined; // unknown: delete, so the refused token is gone from the store too
      }
      if (stored !== undefined && stored.value !== value) return;
      await this.#bounded(() => store.delete(key));
    } catch {
      // The token is dropped here already, and never taken from the store again (`refuse`).
      this.#cache.emit({ type: "store_failed", operation: "delete" });
    }
  }

  /**
   * A token above the floor: the store's, or a new one that is then stored.
   *
   * A rotating refresh handle (PaymentsGate's) works once: two instances that spend the same one
   * can lock the integration out. So one is spent only by the instance that holds the lease —
   * and not from a stale copy of the store (the lease tells when the newest token was obtained)
   * — or, with no lease at all, only from a token this instance obtained itself. Otherwise the
   * provider is asked for a new token from the credentials, which spends nothing.
   */
  async load(signal?: AbortSignal): Promise<Token> {
    const key = await this.#key();
    const first = await this.#fromStore(key);
    if (first.ready !== undefined) return first.ready;
    let newer = first.newer;
    const lease = this.#settings.lease;
    if (lease === undefined) return this.#obtainAndStore(key, newer, signal, "own");
    this.#holder ??= crypto.randomUUID();
    const holder = this.#holder;
    const started = this.#runtime.now();
    const report = (outcome: LeaseOutcome): void => {
      this.#cache.emit({ type: "lease", outcome, ms: this.#runtime.now() - started });
    };
    const take = (): Promise<"held" | "busy" | "unavailable"> => {
      const now = this.#runtime.now();
      // A lease service that fails must not stop tokens: go on without it (spending no handle).
      return this.#bounded(() =>
        lease.acquire(key, holder, now, now + this.#settings.leaseMs),
      ).then(
        (held) => (held ? "held" : "busy"),
        () => "unavailable",
      );
    };
    let state = await take();
    // Another instance is calling the provider: wait for its token to reach the store. A caller
    // with no token to serve waits at most half its deadline (two store calls' share): a holder
    // that died holds the lease for `leaseMs`, longer than the default deadline, and the caller
    // is better served by its own provider call (spending no handle) than by a timeout.
    const waitMs =
      this.#cache.current() === undefined
        ? Math.min(this.#settings.leaseMs, 2 * this.#settings.backendTimeoutMs)
        : this.#settings.leaseMs;
    // Counted in polls (a clock a test holds still) and in time (each look costs a store read and
    // a lease call, up to a quarter of the deadline each).
    for (
      let poll = 0;
      state === "busy" && poll < waitMs / LEASE_POLL_MS && this.#runtime.now() - started < waitMs;
      poll++
    ) {
      await this.#runtime.sleep(LEASE_POLL_MS, signal);
      const seen = await this.#fromStore(key);
      if (seen.ready !== undefined) {
        report("adopted");
        return seen.ready;
      }
      newer = seen.newer ?? newer;
      state = await take();
    }
    if (state !== "held") {
      report(state === "busy" ? "timed_out" : "unavailable");
      // Without the lease, the provider is called only when the token in memory nears its floor:
      // before that, the lease is likely back, or the holder's token in the store, next look.
      return this.#keep() ?? this.#obtainAndStore(key, newer, signal, "none");
    }
    let settledAt: number | undefined;
    try {
      // Held — but the last holder may have stored its token and let go between our last look
      // at the store and our taking the lease: look once more, or we would obtain it twice.
      const seen = await this.#fromStore(key);
      if (seen.ready !== undefined) {
        report("adopted");
        return seen.ready;
      }
      // A stored token older than the one the last holder settled on is a stale read. A settled
      // time ahead of our clock tells nothing (another clock): it is not held against us.
      const settledOf = lease.settled?.bind(lease);
      const told =
        settledOf === undefined
          ? undefined
          : await this.#bounded(() => settledOf(key)).catch(() => undefined);
      const settled = told !== undefined && told <= this.#runtime.now() ? told : undefined;
      // A holder settled on a token newer than ours, and the store did not show it: our read
      // was stale (KV lags up to a minute across locations). That token serves the fleet; ours,
      // while it has life enough, serves us until the store shows it.
      const kept = settled === undefined ? undefined : this.#keep(settled);
      report(kept === undefined ? "held" : "stale_read");
      if (kept !== undefined) return kept;
      const token = await this.#obtainAndStore(key, seen.newer ?? newer, signal, settled ?? "held");
      settledAt = token.obtainedAt;
      return token;
    } finally {
      await this.#bounded(() => lease.release(key, holder, settledAt)).catch(() => undefined);
    }
  }

  /**
   * The token in memory, served on instead of calling the provider now, while it has more than
   * two floors of life left: its refresh point moves `DEFER_MS` on (never past those two floors),
   * so the next look is soon and the last one leaves time to call the provider. `newer`: when a
   * newer token was obtained (the lease's settled time), for a token older than that. Without
   * it (the lease failed), once per token: a lease down for good then costs each isolate its
   * refresh `DEFER_MS` late, still spread by the jitter — not every isolate at once at the floor.
   */
  #keep(newer?: number): Token | undefined {
    const current = this.#cache.current();
    const now = this.#runtime.now();
    const last = (current?.expiresAt ?? 0) - 2 * this.#settings.minRemainingMs;
    if (
      current !== undefined &&
      now < last &&
      (newer === undefined ? this.#kept !== current : newer > current.obtainedAt)
    ) {
      if (newer === undefined) this.#kept = current;
      this.#cache.adopt(current, Math.min(now + DEFER_MS, last));
      return current;
    }
    return undefined;
  }

  #key(): Promise<string> {
    this.#keyName ??= storeKeyName(this.#provider.key);
    return this.#keyName;
  }

  async #readStore(key: string): Promise<Token | undefined> {
    const store = this.#settings.store;
    if (store === undefined) return undefined;
    try {
      const stored = await this.#bounded(() => store.get(key));
      return stored?.value === this.#refused ? undefined : stored;
    } catch {
      this.#cache.emit({ type: "store_failed", operation: "get" });
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
    const current = this.#cache.current();
    if (
      stored === undefined ||
      (current !== undefined && stored.obtainedAt <= current.obtainedAt)
    ) {
      return {};
    }
    const now = this.#runtime.now();
    if (!(stored.expiresAt - now > this.#settings.minRemainingMs)) return { newer: stored };
    const refreshAt = this.#cache.adopt(stored);
    if (!(now < refreshAt)) return { newer: stored };
    this.#cache.emit({
      type: "obtained",
      from: "store",
      refreshed: false,
      expiresAt: stored.expiresAt,
    });
    return { ready: stored, newer: stored };
  }

  /**
   * Obtains or refreshes, stores and adopts. `may` says which rotating refresh handle may be
   * spent: only ours (`own`), none, any (`held`), or one at least as new as the lease's settled
   * time (a number).
   */
  async #obtainAndStore(
    key: string,
    stored: Token | undefined,
    signal: AbortSignal | undefined,
    may: "own" | "none" | "held" | number,
  ): Promise<Token> {
    const now = this.#runtime.now();
    const current = this.#cache.current();
    // Refresh from the newest token anyone has: its refresh handle is the one still live.
    const newest =
      stored !== undefined && (current === undefined || stored.obtainedAt > current.obtainedAt)
        ? stored
        : current;
    // A token without a rotating handle spends nothing.
    const spendable =
      newest?.refreshToken === undefined ||
      may === "held" ||
      (may === "own" && this.#own?.has(newest) === true) ||
      (typeof may === "number" && newest.obtainedAt >= may);
    const previous = spendable ? newest : undefined;
    let refreshed = false;
    const token = await this.#obtainOrRefresh(previous, now, signal, () => {
      refreshed = true;
    });
    if (token.refreshToken !== undefined) {
      this.#own ??= new WeakSet();
      this.#own.add(token);
    }
    const left = token.expiresAt - this.#runtime.now();
    if (!(left > this.#settings.minRemainingMs)) {
      throw new EdgeTokenError(
        "invalid_response",
        `${this.#provider.key.provider} issued a token with ${Math.round(left / 1000)} s of life, below minRemainingMs.`,
      );
    }
    const store = this.#settings.store;
    if (store !== undefined) {
      // Stored before it is used: a rotating refresh handle must not be lost with this isolate.
      // A store that fails or hangs costs that, not the token itself.
      try {
        await this.#bounded(() => store.set(key, token));
      } catch {
        this.#cache.emit({ type: "store_failed", operation: "set" });
      }
    }
    this.#cache.adopt(token);
    this.#cache.emit({ type: "obtained", from: "provider", refreshed, expiresAt: token.expiresAt });
    return token;
  }

  #obtainOrRefresh(
    previous: Token | undefined,
    now: number,
    signal: AbortSignal | undefined,
    onRefreshed: () => void,
  ): Promise<Token> {
    const provider = this.#provider;
    const context: ProviderContext = { runtime: this.#runtime, signal };
    if (
      previous === undefined ||
      provider.refresh === undefined ||
      !(provider.canRefresh?.(previous, now) ?? true)
    ) {
      return provider.obtain(context);
    }
    return provider.refresh(previous, context).then(
      (token) => {
        onRefreshed();
        return token;
      },
      (error: unknown) => {
        if (isEdgeTokenError(error, "refresh_rejected")) return provider.obtain(context);
        throw error;
      },
    );
  }
}
