/**
 * The embedded default's credentials: the emulator's demo accounts and a development encryption
 * key — no real secret, but shaped like one, so they travel the way real ones must. wrangler
 * prints every `[vars]` value in its binding table at `wrangler dev` and hides `.dev.vars`
 * values, so they are not in wrangler.toml: `npm start` (scripts/start.mjs) writes them into a
 * git-ignored `.dev.vars` unless you have your own, and vitest.config.ts binds them for the tests.
 * A developer who swaps in real sandbox credentials puts them in `.dev.vars` the same way, and
 * they never reach a terminal or a CI log.
 */
export const EMBEDDED_DEFAULT_SECRETS: Readonly<Record<string, string>> = {
  // Seals provider tokens and development signing keys in KV. A development value only.
  TOKEN_ENCRYPTION_KEY: "edgetoken-development-only-key-not-a-secret",
  // iPOSpays: the emulator's ISO-level key, allowed all four scopes.
  IPOSPAYS_API_KEY: "demo-iso-key",
  IPOSPAYS_SECRET_KEY: "demo-iso-secret",
  PAYMENTSGATE_PUBLIC_KEY: "ZGVtby1wdWJsaWMta2V5",
  PAPAYA_API_KEY: "demo-papaya-key",
  PAPAYA_CLIENT_SECRET: "demo-papaya-secret",
};

/**
 * The embedded default's development client: wrangler.toml's `BROKER_CLIENTS` holds its id and
 * the hash of this secret. `npm start` writes it to `.wrangler/demo.netrc` for curl
 * (`--netrc-file`) rather than printing it.
 */
export const DEMO_CLIENT: Readonly<{ id: string; secret: string }> = {
  id: "demo",
  secret: "demo-secret",
};

/** The first line of a `.dev.vars` that `npm start` wrote (and may rewrite). */
export const WRITTEN_BY_START = "# Written by `npm start`: the embedded default's credentials.";

/** The `.dev.vars` text for the embedded default. */
export function embeddedDevVars(): string {
  const lines = Object.entries(EMBEDDED_DEFAULT_SECRETS).map(
    ([name, value]) => `${name}=${JSON.stringify(value)}`,
  );
  return `${WRITTEN_BY_START}\n# Replace this file with your own to use other credentials; npm start then leaves it alone.\n${lines.join("\n")}\n`;
}
