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
