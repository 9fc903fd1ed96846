/**
 * The token source's options, checked (names and values) and with their defaults filled in.
 */
import { EdgeTokenError } from "./errors.ts";
import type { TokenSourceEvent } from "./events.ts";
import type { TokenLease } from "./lease.ts";
import { checkOptionNames, type OptionNames } from "./option-names.ts";
import type { RuntimeOptions } from "./runtime.ts";
import type { Backoff, BackoffOptions, RefreshOptions } from "./schedule.ts";
import type { SharedTokenSettings } from "./shared-token.ts";
import type { TokenStore } from "./store.ts";

/** Options of {@link createTokenSource}: what users tune. */
export interface TokenSourceOptions {
  /** A shared store (Workers KV, memory) consulted before the provider. Default: none. */
  store?: TokenStore | undefined;
  /**
   * Refresh when this share of the token's lifetime is left: 0.25 refreshes a 30-minute token
   * 7.5 minutes early and a 24-hour one 6 hours early. Default 0.25.
   */
  refreshAhead?: number | undefined;
  /**
   * A random share of the lifetime, up to this, is added to `refreshAhead` per token. Default 0.1.
   * Under a `lease` the share is drawn from the token itself, so instances sharing it agree.
   */
  refreshJitter?: number | undefined;
  /** A token with this little life left is never handed out. Default 30 000 ms. */
  minRemainingMs?: number | undefined;
  /** How long a credential, scope or configuration error is remembered. Default 30 000 ms. */
  permanentErrorTtlMs?: number | undefined;
  /** Backoff after a transient failure: first wait, doubled each time, capped. Default 1 s → 60 s. */
  backoff?: BackoffOptions | undefined;
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
  /**
   * The most a `get()` that has to wait may take — every attempt, retry wait and lease wait
   * included; past it, it fails with `timeout`. The shared provider call stops then too. A store
   * or lease call that takes more than a quarter of it counts as failed (`store_failed`), and the
   * source goes on without it. Default 10 000 ms, so a checkout is never held longer than that
   * for a token.
   */
  deadlineMs?: number | undefined;
  /**
   * Called with what the source does — obtained, refreshed, failed and served the cached token,
   * renewing after a refusal, waited, store failed — as names and numbers, never a token or a
   * secret. A listener that throws is ignored. Default: none.
   */
  onEvent?: ((event: TokenSourceEvent) => void) | undefined;
  /** The platform: fetch, clock, sleep, random. Defaults to the globals. */
  runtime?: RuntimeOptions | undefined;
}

const OPTIONS: OptionNames = {
  store: true,
  refreshAhead: true,
  refreshJitter: true,
  minRemainingMs: true,
  permanentErrorTtlMs: true,
  backoff: { baseMs: true, maxMs: true },
  lease: true,
  leaseMs: true,
  renewCooldownMs: true,
  deadlineMs: true,
  onEvent: true,
  runtime: { fetch: true, now: true, sleep: true, random: true },
};

/** The option's value or its default, when it is a number the rule takes; else a configuration error. */
function checked(value: number | undefined, fallback: number, name: string, share?: true): number {
  const result = value ?? fallback;
  if (!(result >= 0 && (share ? result < 1 : result < Infinity))) {
    throw new EdgeTokenError(
      "configuration",
      `TokenSourceOptions.${name} must be ${share ? "in [0, 1)" : "a finite number ≥ 0"}.`,
    );
  }
  return result;
}

/** {@link TokenSourceOptions} as the token source uses them, its shared token's included. */
export interface SourceSettings extends SharedTokenSettings, RefreshOptions {
  permanentErrorTtl: number;
  backoff: Backoff;
  renewCooldown: number;
  deadline: number;
}

/** Checks the options a user gave (unknown names, out-of-range values) and fills in defaults. */
export function sourceSettings(options: TokenSourceOptions): SourceSettings {
  checkOptionNames(options, OPTIONS, "createTokenSource() options");
  const deadline = checked(options.deadlineMs, 10_000, "deadlineMs");
  if (deadline === 0) {
    throw new EdgeTokenError("configuration", "TokenSourceOptions.deadlineMs must be above 0.");
  }
  return {
    store: options.store,
    lease: options.lease,
    // Checked in this order: the first value at fault is the one the error names.
    refreshAhead: checked(options.refreshAhead, 0.25, "refreshAhead", true),
    refreshJitter: checked(options.refreshJitter, 0.1, "refreshJitter", true),
    minRemainingMs: checked(options.minRemainingMs, 30_000, "minRemainingMs"),
    // A quarter of the deadline for each store or lease call leaves the provider the rest.
    backendTimeoutMs: deadline / 4,
    permanentErrorTtl: checked(options.permanentErrorTtlMs, 30_000, "permanentErrorTtlMs"),
    backoff: {
      baseMs: checked(options.backoff?.baseMs, 1_000, "backoff.baseMs"),
      maxMs: checked(options.backoff?.maxMs, 60_000, "backoff.maxMs"),
    },
    leaseMs: checked(options.leaseMs, 15_000, "leaseMs"),
    renewCooldown: checked(options.renewCooldownMs, 1_000, "renewCooldownMs"),
    deadline,
  };
}
