import { EdgeTokenError } from "../errors.ts";

/** Where a provider's published hosts live; `production` is absent when none is published. */
export interface PublishedHosts {
  sandbox: string;
  production?: string | undefined;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * The base URL for an environment: the caller's `baseUrl` when given (HTTPS, or HTTP on
 * loopback for the emulator), the published host otherwise. Asking for production where no host
 * is published, without a `baseUrl`, is a configuration error that names the option.
 *
 * @example
 * resolveBaseUrl("Papaya Global", "production", undefined, { sandbox: "https://…" }); // throws
 */
export function resolveBaseUrl(
  provider: string,
  environment: "sandbox" | "production",
  baseUrl: string | undefined,
  hosts: PublishedHosts,
  option = "baseUrl",
): string {
  const chosen = baseUrl ?? hosts[environment];
  if (chosen === undefined) {
    throw new EdgeTokenError(
      "configuration",
      `${provider} publishes no ${environment} host: set the ${option} option to the one your account manager gave you.`,
    );
  }
  let url: URL;
  try {
    url = new URL(chosen);
  } catch {
    throw new EdgeTokenError("configuration", `${provider} ${option} is not a URL.`);
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    // Credentials or parameters in a URL end up in logs and in JSON.stringify of the provider.
    throw new EdgeTokenError(
      "configuration",
      `${provider} ${option} must not carry credentials, a query or a fragment.`,
    );
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK.has(url.hostname))) {
    throw new EdgeTokenError(
      "configuration",
      `${provider} ${option} must use https (plain http is accepted only on loopback, for the emulator).`,
    );
  }
  return url.href.replace(/\/+$/, "");
}
