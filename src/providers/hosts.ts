import { EdgeTokenError } from "../errors.ts";

/**
 * A provider's published hosts for one service; `production` is absent when none is published
 * (the account manager gives it).
 *
 * @example
 * const hosts: PublishedHosts = { sandbox: "https://auth.ipospays.tech" };
 */
export interface PublishedHosts {
  readonly sandbox: string;
  readonly production?: string | undefined;
}

/**
 * Where a provider publishes its services: `auth` issues tokens, `api` takes them (absent when
 * no API host is published).
 *
 * @example
 * const base = IPOSPAYS_HOSTS.api.sandbox; // "https://payment.ipospays.tech"
 */
export interface ProviderHosts {
  readonly auth: PublishedHosts;
  readonly api?: PublishedHosts | undefined;
}

/**
 * The host for an environment: the caller's `baseUrl` when given, the published one otherwise.
 * Asking for an environment with no published host, without a `baseUrl`, is a configuration
 * error that names the option.
 */
export function chooseHost(
  provider: string,
  environment: "sandbox" | "production",
  baseUrl: string | undefined,
  hosts: PublishedHosts,
): string {
  const chosen = baseUrl ?? hosts[environment];
  if (chosen === undefined) {
    throw new EdgeTokenError(
      "configuration",
      `${provider} publishes no ${environment} host: set the baseUrl option to the one your account manager gave you.`,
    );
  }
  return chosen;
}
