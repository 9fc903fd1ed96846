import type { ProviderName } from "./faults.ts";

/**
 * How many issued tokens and refresh tokens the emulator remembers; past this the oldest are
 * forgotten (and refused), so a long-running `npm run emulator` does not grow without bound.
 */
export const LEDGER_LIMIT = 100_000;

/**
 * The emulator's memory: which tokens it issued (by the id inside each: iPOSpays `uniqueId`,
 * PaymentsGate `jti`, Papaya header `api_token_id`), which were revoked, and which PaymentsGate
 * refresh tokens are still unexchanged. A token signed by the emulator's key but not in the
 * ledger (issued before a reset) is refused like any unknown token.
 */
export interface Ledger {
  recordIssued(id: string, provider: ProviderName): void;
  issuedBy(id: string): ProviderName | undefined;
  revoke(token: string): void;
  isRevoked(token: string): boolean;
  recordRefreshToken(refreshToken: string, accountId: string): void;
  /** The account a live refresh token belongs to. */
  accountOfRefreshToken(refreshToken: string): string | undefined;
  /**
   * Exchanges a refresh token if it is live and belongs to `accountId`; with `spend` false it
   * only says whether it would. Check and spend happen in one synchronous step, so two
   * concurrent refreshes with the same refresh token cannot both succeed.
   */
  exchangeRefreshToken(refreshToken: string, accountId: string, spend: boolean): boolean;
  clear(): void;
  /** Entries kept from before a restart (`persistence.ts`): not journaled again. */
  restoreIssued(id: string, provider: ProviderName): void;
  restoreRevoked(token: string): void;
  restoreRefreshToken(refreshToken: string, accountId: string): void;
}

/** One change to the ledger, for a journal that keeps it across restarts. */
export type LedgerChange =
  | { kind: "issued"; id: string; provider: ProviderName }
  | { kind: "forgotten"; id: string }
  | { kind: "revoked"; token: string }
  | { kind: "refresh_token"; token: string; accountId: string }
  | { kind: "refresh_spent"; token: string }
  | { kind: "cleared" };

/** Sets `key`, newest last; past the limit the oldest go, each passed to `forget`. */
function remember<K, V>(map: Map<K, V>, key: K, value: V, forget?: (key: K) => void): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > LEDGER_LIMIT) {
    const oldest = map.keys().next();
    if (oldest.done) break;
    map.delete(oldest.value);
    forget?.(oldest.value);
  }
}

/** A new, empty {@link Ledger}; `journal` hears every change (to keep it across restarts). */
export function createLedger(journal: (change: LedgerChange) => void = () => {}): Ledger {
  const issued = new Map<string, ProviderName>();
  const revoked = new Set<string>();
  const refreshTokens = new Map<string, string>();
  const forgetIssued = (id: string): void => journal({ kind: "forgotten", id });
  const forgetRefresh = (token: string): void => journal({ kind: "refresh_spent", token });
  return {
    recordIssued(id, provider) {
      remember(issued, id, provider, forgetIssued);
      journal({ kind: "issued", id, provider });
    },
    issuedBy(id) {
      return issued.get(id);
    },
    revoke(token) {
      if (revoked.has(token)) return;
      revoked.add(token);
      journal({ kind: "revoked", token });
    },
    isRevoked(token) {
      return revoked.has(token);
    },
    recordRefreshToken(refreshToken, accountId) {
      remember(refreshTokens, refreshToken, accountId, forgetRefresh);
      journal({ kind: "refresh_token", token: refreshToken, accountId });
    },
    accountOfRefreshToken(refreshToken) {
      return refreshTokens.get(refreshToken);
    },
    exchangeRefreshToken(refreshToken, accountId, spend) {
      if (refreshTokens.get(refreshToken) !== accountId) return false;
      // Rotation: an exchanged refresh token is dead from now on.
      if (spend) {
        refreshTokens.delete(refreshToken);
        forgetRefresh(refreshToken);
      }
      return true;
    },
    clear() {
      issued.clear();
      revoked.clear();
      refreshTokens.clear();
      journal({ kind: "cleared" });
    },
    restoreIssued(id, provider) {
      remember(issued, id, provider);
    },
    restoreRevoked(token) {
      revoked.add(token);
    },
    restoreRefreshToken(refreshToken, accountId) {
      remember(refreshTokens, refreshToken, accountId);
    },
  };
}
