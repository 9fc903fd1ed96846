/**
 * The emulator's root, `GET /`: a JSON index of what it serves — each provider's endpoints and
 * accounts, and the controls — so a developer who opens http://127.0.0.1:8788/ knows what to
 * call next. An account shows its id as its provider's wire spells it (the iPOSpays header, the
 * PaymentsGate and Papaya JSON field), never its secret half — not even a demo account's, which is
 * also the broker's embedded default credential: the index points to where the demo secrets are
 * written down instead, so opening it in a terminal prints no credential.
 */
import type { EmulatorAccounts } from "./accounts.ts";
import type { Endpoint } from "./endpoint.ts";
import type { ProviderName } from "./faults.ts";
import { SCOPES_BY_LEVEL } from "./ipospays.ts";
import type { Reply } from "./reply.ts";

/** The controls under `/_emulator/` (controls.ts answers them; the index names them). */
export const CONTROLS: Readonly<Record<string, string>> = {
  "GET /_emulator/calls": "call counts per endpoint",
  "GET /_emulator/refused": "tokens refused per endpoint, by why (expired, revoked, …)",
  "POST /_emulator/faults": "arm a fault (a JSON body, see docs/emulator.md)",
  "DELETE /_emulator/faults": "clear every fault",
  "POST /_emulator/clock": 'move the clock: {"advanceMs": 3600000}',
  "POST /_emulator/revoke": 'refuse a token from now on: {"token": "…"}',
  "POST /_emulator/reset":
    "forget tokens, refresh tokens, revocations, payments by key, counts, faults, clock moves",
  "GET /_emulator/jwks": "the public key that signs every token",
};

const PROVIDERS: readonly ProviderName[] = ["ipospays", "paymentsgate", "papaya"];

type Listed = Record<string, string | readonly string[]>;

/** Each provider's accounts by the id its wire takes (never the secret half). */
function listAccounts(accounts: EmulatorAccounts): Record<ProviderName, Listed[]> {
  return {
    ipospays: accounts.ipospays.map((account) => ({
      apiKey: account.apiKey,
      level: account.level,
      scopes: SCOPES_BY_LEVEL[account.level],
    })),
    paymentsgate: accounts.paymentsgate.map((account) => ({ account_id: account.accountId })),
    papaya: accounts.papaya.map((account) => ({ api_key: account.apiKey })),
  };
}

/**
 * The index's reply, indented JSON with a final newline: computed once per emulator, since its
 * endpoints and accounts never change.
 */
export function discoveryReply(endpoints: readonly Endpoint[], accounts: EmulatorAccounts): Reply {
  const listed = listAccounts(accounts);
  const providers = Object.fromEntries(
    PROVIDERS.map((provider) => [
      provider,
      {
        // Keyed by kind, spelled as calls() counts them: "METHOD /path".
        endpoints: Object.fromEntries(
          endpoints
            .filter((endpoint) => endpoint.provider === provider)
            .map(({ method, path, kind }) => [kind, `${method} ${path}`]),
        ),
        accounts: listed[provider],
      },
    ]),
  );
  const index = {
    emulator: "edgetoken: the iPOSpays, PaymentsGate and Papaya Global auth APIs, offline",
    providers,
    controls: CONTROLS,
    secrets: 'each demo account\'s secret half: docs/emulator.md, "Default accounts"',
    docs: "docs/emulator.md",
  };
  // Indented: this one is read by people, in a terminal or a browser tab.
  return {
    status: 200,
    text: `${JSON.stringify(index, null, 2)}\n`,
    contentType: "application/json",
  };
}
