import { EdgeTokenError } from "../errors.ts";

/**
 * Why a URL may not be used for a service (a provider, the broker):
 * - `not_a_url`: it does not parse;
 * - `credentials_or_query`: it carries a username, password, query or fragment;
 * - `not_https`: it is neither https nor http on loopback.
 */
export type ServiceUrlProblem = "not_a_url" | "credentials_or_query" | "not_https";

const LOOPBACK = ["127.0.0.1", "localhost", "[::1]"];

/**
 * The rule every service URL follows: https, or plain http on loopback (`127.0.0.1`,
 * `localhost`, `[::1]`) for the emulator; no username or password, query or fragment. Returns
 * what is wrong, or `undefined` when the URL may be used.
 *
 * @example
 * serviceUrlProblem("http://127.0.0.1:8788/ipospays"); // undefined
 * serviceUrlProblem("http://auth.example.com"); // "not_https"
 */
export function serviceUrlProblem(text: string): ServiceUrlProblem | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "not_a_url";
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    // Credentials or parameters in a URL end up in logs and in JSON.stringify of the provider.
    return "credentials_or_query";
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK.includes(url.hostname))) {
    return "not_https";
  }
  return undefined;
}

/** What each problem tells the user of `option`. */
const ADVICE: Record<ServiceUrlProblem, string> = {
  not_a_url: "is not a URL",
  credentials_or_query: "must not carry credentials, a query or a fragment",
  not_https: "must use https (http only on loopback, for the emulator)",
};

/**
 * The URL, without trailing slashes, when it follows {@link serviceUrlProblem}'s rule; otherwise
 * a configuration error that names the provider and the option.
 */
export function checkBaseUrl(provider: string, option: string, url: string): string {
  const problem = serviceUrlProblem(url);
  if (problem !== undefined) {
    throw new EdgeTokenError("configuration", `${provider} ${option} ${ADVICE[problem]}.`);
  }
  return new URL(url).href.replace(/\/+$/, "");
}
