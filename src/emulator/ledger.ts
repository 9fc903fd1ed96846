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
}

function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > LEDGER_LIMIT) {
    const oldest = map.keys().next();
    if (oldest.done) break;
    map.delete(oldest.value);
  }
}

/** A new, empty {@link Ledger}. */
export function createLedger(): Ledger {
  const issued = new Map<string, ProviderName>();
  const revoked = new Set<string>();
  const refreshTokens = new Map<string, string>();
  return {
    recordIssued(id, provider) {
      remember(issued, id, provider);
    },
    issuedBy(id) {
      return issued.get(id);
    },
    revoke(token) {
      revoked.add(token);
    },
    isRevoked(token) {
      return revoked.has(token);
    },
    recordRefreshToken(refreshToken, accountId) {
      remember(refreshTokens, refreshToken, accountId);
    },
    accountOfRefreshToken(refreshToken) {
      return refreshTokens.get(refreshToken);
    },
    exchangeRefreshToken(refreshToken, accountId, spend) {
      if (refreshTokens.get(refreshToken) !== accountId) return false;
      // Rotation: an exchanged refresh token is dead from now on.
      if (spend) refreshTokens.delete(refreshToken);
      return true;
    },
    clear() {
      issued.clear();
      revoked.clear();
      refreshTokens.clear();
    },
  };
}
