/**
 * The credentials each emulated provider accepts. A list given for a provider replaces that
 * provider's default accounts; providers left out keep theirs.
 *
 * @example
 * const emulator = createEmulator({
 *   accounts: { papaya: [{ apiKey: "test-key", clientSecret: "test-secret" }] },
 * });
 */
export interface EmulatorAccounts {
  /** iPOSpays API keys; `level` decides which scopes a key may ask for. */
  ipospays: Array<{ apiKey: string; secretKey: string; level: "merchant" | "iso" | "agent" }>;
  /** PaymentsGate accounts; `publicKey` is the PEM text, the wire carries its base64. */
  paymentsgate: Array<{ accountId: string; publicKey: string }>;
  /** Papaya Global API keys. */
  papaya: Array<{ apiKey: string; clientSecret: string }>;
}

/**
 * The demo accounts every emulator starts with unless told otherwise: the table "Default
 * accounts" of PROVIDERS.md, so a new user can try each provider with curl.
 *
 * @example
 * const [merchant] = DEFAULT_ACCOUNTS.ipospays; // demo-merchant-key / demo-merchant-secret
 */
export const DEFAULT_ACCOUNTS: EmulatorAccounts = {
  ipospays: [
    { apiKey: "demo-merchant-key", secretKey: "demo-merchant-secret", level: "merchant" },
    { apiKey: "demo-iso-key", secretKey: "demo-iso-secret", level: "iso" },
    { apiKey: "demo-agent-key", secretKey: "demo-agent-secret", level: "agent" },
  ],
  paymentsgate: [
    { accountId: "00000000-0000-4000-8000-000000000001", publicKey: "demo-public-key" },
  ],
  papaya: [{ apiKey: "demo-papaya-key", clientSecret: "demo-papaya-secret" }],
};

/** The defaults overlaid with what the caller gave, copied so later edits to either are not seen. */
export function resolveAccounts(given: Partial<EmulatorAccounts> = {}): EmulatorAccounts {
  return {
    ipospays: (given.ipospays ?? DEFAULT_ACCOUNTS.ipospays).map((account) => ({ ...account })),
    paymentsgate: (given.paymentsgate ?? DEFAULT_ACCOUNTS.paymentsgate).map((account) => ({
      ...account,
    })),
    papaya: (given.papaya ?? DEFAULT_ACCOUNTS.papaya).map((account) => ({ ...account })),
  };
}
