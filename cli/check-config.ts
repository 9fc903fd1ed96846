/**
 * `edgetoken check-config <file | ->`: the broker's own checks, before deploying. The input is
 * JSON: a `BROKER_CLIENTS` array (what `wrangler secret put BROKER_CLIENTS` would take), one
 * entry of it (what `edgetoken client` prints), a `BROKER_SIGNING_KEYS` array (what
 * `edgetoken signing-key` prints), or an object of the broker's vars and secrets (`{"BROKER_CLIENTS": […], "ISSUER": …}`). Every bad
 * field is named with what it must be — never with its value, which may be a secret — and so is
 * JSON that does not parse (the platform's parse error quotes the text, so it is not repeated).
 */
import type { ConfigProblem, PrivateSigningJwk } from "../worker/config/config.ts";
import {
  clientProblems,
  configProblems,
  describeProblem,
  parseBrokerConfig,
  signingKeyProblems,
} from "../worker/config/parse.ts";
import { SCOPES } from "../worker/oauth/scopes.ts";
import { importSigningKeys, unusableSigningKey } from "../worker/tokens/signing-keys.ts";
import { configuredProvider } from "../worker/upstream/token-sources.ts";
import type { CliIo, ExitCode } from "./main.ts";

/** Where a JSON text stops parsing, as a number only: the parse error's own message quotes it. */
function position(error: unknown): string {
  const at = error instanceof Error ? /position (\d+)/.exec(error.message)?.[1] : undefined;
  return at === undefined ? "" : ` (it stops parsing at character ${at})`;
}

/** What only the broker's startup finds: keys whose halves disagree, provider settings refused. */
async function startupProblems(vars: object): Promise<ConfigProblem[]> {
  const parsed = parseBrokerConfig(vars);
  if (!parsed.ok) return [parsed.failure];
  const config = parsed.value;
  const problems: ConfigProblem[] = [];
  if (config.signingKeys !== undefined) {
    const imported = await importSigningKeys(config.signingKeys);
    if (!imported.ok) problems.push(unusableSigningKey(imported.failure));
  }
  const fields = new Set<string>();
  for (const scope of SCOPES) {
    const built = configuredProvider(config, scope);
    if (!built.ok && !fields.has(built.failure.field)) {
      fields.add(built.failure.field);
      problems.push(built.failure);
    }
  }
  return problems;
}

/** An array of JWKs (each has a `kty`) is BROKER_SIGNING_KEYS, not BROKER_CLIENTS. */
function isKeyArray(value: unknown): value is unknown[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((item) => item !== null && typeof item === "object" && "kty" in item)
  );
}

/** An object with a client's own fields is an entry of BROKER_CLIENTS, not the broker's vars. */
function isClientEntry(value: unknown): value is object {
  return value !== null && typeof value === "object" && "secretHash" in value;
}

function plural(count: number, one: string): string {
  return `${count} ${one}${count === 1 ? "" : "s"}`;
}

export async function checkConfig(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const [path, ...extra] = args;
  if (path === undefined || extra.length > 0) {
    io.err("edgetoken check-config: give one file, or - for stdin");
    return 2;
  }
  const name = path === "-" ? "stdin" : path;
  let text: string;
  try {
    text = await io.read(path);
  } catch {
    io.err(`edgetoken check-config: ${name} could not be read`);
    return 2;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    io.out(`${name}: not JSON${position(error)}`);
    return 1;
  }
  let problems: ConfigProblem[];
  let summary: string;
  if (isKeyArray(value)) {
    // What `edgetoken signing-key` prints: checked as BROKER_SIGNING_KEYS, halves and all.
    problems = signingKeyProblems(value);
    if (problems.length === 0) {
      const imported = await importSigningKeys(value as PrivateSigningJwk[]);
      if (!imported.ok) problems = [unusableSigningKey(imported.failure)];
    }
    summary = `BROKER_SIGNING_KEYS with ${plural(value.length, "key")}`;
  } else if (Array.isArray(value)) {
    problems = clientProblems(value);
    summary = `BROKER_CLIENTS with ${plural(value.length, "client")}`;
  } else if (isClientEntry(value)) {
    // One entry, as `edgetoken client` prints it: checked as BROKER_CLIENTS[0].
    problems = clientProblems([value]);
    summary = "one BROKER_CLIENTS entry";
  } else if (value !== null && typeof value === "object") {
    problems = configProblems(value);
    if (problems.length === 0) problems = await startupProblems(value);
    const parsed = parseBrokerConfig(value);
    summary = parsed.ok
      ? `${plural(parsed.value.clients.size, "client")}, ${
          parsed.value.signingKeys === undefined
            ? "development signing keys"
            : plural(parsed.value.signingKeys.length, "signing key")
        }, providers: ${Object.keys(parsed.value.providers).join(", ") || "none"}`
      : "a configuration";
  } else {
    io.out(`${name}: must be a BROKER_CLIENTS array or an object of the broker's vars`);
    return 1;
  }
  if (problems.length > 0) {
    for (const problem of problems) io.out(`${name}: ${describeProblem(problem)}`);
    io.out(`${name}: ${plural(problems.length, "problem")}`);
    return 1;
  }
  io.out(`${name}: ok (${summary})`);
  return 0;
}
