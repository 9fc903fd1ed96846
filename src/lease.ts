/**
 * Who may call the provider for a key right now, across instances. KV has no compare-and-swap,
 * so without a lease every isolate past the refresh point calls the provider, and two of them
 * can spend the same rotating refresh token. A lease is optional: without one, single flight is
 * per instance.
 *
 * @example
 * const source = createTokenSource(provider, {
 *   store: createKvStore(env.TOKENS),
 *   lease: createDurableObjectLease(env.TOKEN_LEASES),
 * });
 */
export interface TokenLease {
  /** Takes the lease on `key` for `holder` until `until` (epoch ms), unless another holds it at `now`. */
  acquire(key: string, holder: string, now: number, until: number): Promise<boolean>;
  /**
   * Gives the lease back, if `holder` still has it. `settled`: when the token the holder stored
   * was obtained (epoch ms), so the next holder can tell a stale read of the store.
   */
  release(key: string, holder: string, settled?: number): Promise<void>;
  /**
   * When the newest token a holder settled on was obtained, if the lease keeps it. A holder that
   * reads an older token from the store is reading a stale copy (KV lags across locations): its
   * rotating refresh handle may be spent already, and a newer token exists, so the holder serves
   * its own on while it has life enough rather than call the provider. A lease that lapses
   * unreleased counts as settled when it was taken (its holder may have spent a handle).
   * Optional: without it, nothing is told apart.
   */
  settled?(key: string): Promise<number | undefined>;
}
