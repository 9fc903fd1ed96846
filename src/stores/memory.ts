import type { TokenStore } from "../store.ts";
import type { Token } from "../token.ts";

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /** The most tokens kept; the least recently used goes first. Default 1 000. */
  maxEntries?: number;
  /** The clock, in epoch milliseconds, for dropping expired tokens. Default `Date.now`. */
  now?: () => number;
}

/**
 * A bounded in-memory store: per isolate or process, least recently used out first, expired
 * tokens dropped on read. Share one between token sources to share their tokens.
 *
 * @example
 * const store = createMemoryStore({ maxEntries: 100 });
 * const source = createTokenSource(provider, { store });
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): TokenStore {
  const maxEntries = Math.max(1, options.maxEntries ?? 1000);
  const now = options.now ?? Date.now;
  const entries = new Map<string, Token>();
  return {
    async get(key) {
      const token = entries.get(key);
      if (token === undefined) return undefined;
      entries.delete(key);
      if (token.expiresAt <= now()) return undefined;
      entries.set(key, token);
      return token;
    },
    async set(key, token) {
      entries.delete(key);
      entries.set(key, token);
      // A Map keeps insertion order: the first key is the least recently used.
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    },
    async delete(key) {
      entries.delete(key);
    },
    toJSON() {
      return { kind: "memory", entries: entries.size };
    },
  } as TokenStore & { toJSON(): unknown };
}
