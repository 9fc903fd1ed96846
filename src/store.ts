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
}
