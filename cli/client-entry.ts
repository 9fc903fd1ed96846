/**
 * `edgetoken client <id> --scope …`: a `BROKER_CLIENTS` entry for a new client, with a new
 * secret. The entry (JSON) goes to stdout, so `> client.json` keeps a file without the secret;
 * the secret goes to stderr, shown once, for whoever sets up the client. The entry is checked
 * with the broker's own schema before it is printed.
 */
import { clientProblems, describeProblem } from "../worker/config/parse.ts";
import { hashSecret } from "../worker/oauth/client-auth.ts";
import { listOption, parseArguments } from "./arguments.ts";
import { newSecret } from "./hash-secret.ts";
import type { CliIo, ExitCode } from "./main.ts";

/** The broker's default audience (`BROKER_AUDIENCE` unset): what the proxy and provider tokens need. */
const DEFAULT_AUDIENCE = "edgetoken";
/** The broker's default token life, as a client's ceiling unless told otherwise. */
const DEFAULT_MAX_LIFETIME = 300;

const TAKES = {
  options: ["scope", "audience", "max-lifetime", "origin", "rate-limit"],
  switches: ["provider-tokens", "operator"],
} as const;

/** Which option a field of the entry came from, for the problems the schema finds. */
const OPTION_OF: Record<string, string> = {
  id: "<id>",
  scopes: "--scope",
  audiences: "--audience",
  maxLifetime: "--max-lifetime",
  origins: "--origin",
  rateLimit: "--rate-limit",
};

function whole(text: string): number {
  return /^\d{1,12}$/.test(text) ? Number(text) : Number.NaN;
}

export async function clientEntry(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const parsed = parseArguments(args, TAKES);
  if (typeof parsed === "string") {
    io.err(`edgetoken client: ${parsed}`);
    return 2;
  }
  const [id, ...extra] = parsed.positionals;
  if (id === undefined || extra.length > 0) {
    io.err("edgetoken client: give one client id, then its options: client <id> --scope <scope>");
    return 2;
  }
  const scopes = listOption(parsed, "scope");
  if (scopes.length === 0) {
    io.err("edgetoken client: --scope is required (one or more of the broker's scopes)");
    return 2;
  }
  const audiences = listOption(parsed, "audience");
  const lifetimes = parsed.options.get("max-lifetime") ?? [];
  const rates = parsed.options.get("rate-limit") ?? [];
  if (lifetimes.length > 1 || rates.length > 1) {
    io.err("edgetoken client: --max-lifetime and --rate-limit are given once");
    return 2;
  }
  const [requests, windowSeconds] = (rates[0] ?? "").split("/");
  const secret = newSecret();
  const entry = {
    id,
    secretHash: await hashSecret(secret),
    scopes,
    audiences: audiences.length > 0 ? audiences : [DEFAULT_AUDIENCE],
    maxLifetime: lifetimes[0] === undefined ? DEFAULT_MAX_LIFETIME : whole(lifetimes[0]),
    ...(parsed.options.has("origin") ? { origins: listOption(parsed, "origin") } : {}),
    ...(parsed.switches.has("provider-tokens") ? { providerTokens: true } : {}),
    ...(parsed.switches.has("operator") ? { operator: true } : {}),
    ...(rates[0] === undefined
      ? {}
      : {
          rateLimit: { requests: whole(requests ?? ""), windowSeconds: whole(windowSeconds ?? "") },
        }),
  };
  const problems = clientProblems([entry]);
  if (problems.length > 0) {
    for (const problem of problems) {
      const field = problem.field.replace(/^BROKER_CLIENTS\[0\]\.?/, "");
      const option = OPTION_OF[field.split(/[.[]/)[0] ?? ""] ?? field;
      io.err(`edgetoken client: ${option}: ${describeProblem({ ...problem, field })}`);
    }
    return 1;
  }
  io.out(JSON.stringify(entry, null, 2));
  io.err(`secret  ${secret}`);
  io.err("(give the secret to the client, once; BROKER_CLIENTS keeps only its hash)");
  return 0;
}
