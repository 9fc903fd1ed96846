/**
 * The scopes the broker knows: `provider:scope`, one per token source behind it. A broker token
 * carries any subset; a provider token is always for exactly one.
 */
export const SCOPES = [
  "ipospays:PaymentTokenization",
  "ipospays:Recurring",
  "ipospays:BatchReport",
  "ipospays:ExternalApi",
  "paymentsgate:payments",
  "papaya:payments",
] as const;

export type BrokerScope = (typeof SCOPES)[number];

export type ProviderName = "ipospays" | "paymentsgate" | "papaya";

export const PROVIDERS: readonly ProviderName[] = ["ipospays", "paymentsgate", "papaya"];

/**
 * What a scope looks like, `provider:scope`, whether or not this broker knows it (that is
 * {@link isBrokerScope}). The one definition in the broker; the library's `broker()` provider
 * (`src/providers/broker.ts`) checks its `scope` option with the same pattern.
 */
export const SCOPE_SHAPE = /^[a-z0-9]+:[A-Za-z0-9_.-]+$/;

export function isBrokerScope(value: string): value is BrokerScope {
  return (SCOPES as readonly string[]).includes(value);
}

/** `ipospays:Recurring` → `ipospays`. */
export function providerOf(scope: BrokerScope): ProviderName {
  return scope.slice(0, scope.indexOf(":")) as ProviderName;
}

/** `ipospays:Recurring` → `Recurring`: the scope name the provider itself uses. */
export function providerScopeOf(scope: BrokerScope): string {
  return scope.slice(scope.indexOf(":") + 1);
}
