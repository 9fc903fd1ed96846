import type { Token } from "./token.ts";

/**
 * Where tokens live between calls and between instances. Implementations never throw for a
 * missing, expired, corrupt or undecryptable entry: all of those are a miss. A backend that fails
 * (KV unreachable) rejects: the token source reports that (`store_failed`) and goes on without
 * the store.
 *
 * @example
 * const store: TokenStore = createMemoryStore();
 * await store.set(key, token);
 */
export interface TokenStore {
  get(key: string): Promise<Token | undefined>;
  /** Keeps the token at least until it expires; a store may keep it a little longer. */
  set(key: string, token: Token): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Deletes the entry under `key` only while it still holds the token `value`, in one atomic step
   * (Redis: compare-and-delete), so a newer token another instance stored meanwhile survives.
   * Optional: without it, `invalidate()` reads, compares and deletes, and a token stored between
   * that read and the delete is lost (it costs that instance an auth call, never a wrong token).
   */
  deleteIf?(key: string, value: string): Promise<void>;
}
