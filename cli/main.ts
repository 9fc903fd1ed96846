/**
 * `edgetoken`, the command: what an operator needs before deploying the broker — a client
 * secret and its hash, a signing key, a `BROKER_CLIENTS` entry, and a check of a configuration
 * with the broker's own schemas. Web APIs only: the process (arguments, output, files) comes in
 * through {@link CliIo}, so the tests run it in workerd and `index.ts` wires it to Node.
 */
import { checkConfig } from "./check-config.ts";
import { clientEntry } from "./client-entry.ts";
import { hashSecretCommand } from "./hash-secret.ts";
import { signingKeyCommand } from "./signing-key.ts";

/** What the command reads and writes: lines out, lines to stderr, a file or stdin (`-`). */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** A file's text, or stdin's when `path` is `-`; rejects when it cannot be read. */
  read(path: string): Promise<string>;
}

/** 0: done; 1: the input has problems; 2: the command line is wrong. */
export type ExitCode = 0 | 1 | 2;

export const USAGE = `usage: edgetoken <command>

  hash-secret [secret | -]   a client secret's sha256: hash for BROKER_CLIENTS; with no
                             secret, a new random one (32 bytes) and its hash; - reads stdin
  signing-key                a new ES256 signing key (a private JWK with its kid) as
                             BROKER_SIGNING_KEYS takes it: a JSON array of one key
  client <id> --scope <scope> [--scope …] [--audience <aud> …] [--max-lifetime <s>]
         [--origin <origin> …] [--provider-tokens] [--operator]
                             a BROKER_CLIENTS entry with a new secret: the entry on stdout,
                             the secret on stderr (give it to the client; it is shown once)
  check-config <file | ->    checks a BROKER_CLIENTS array (or one entry of it), a
                             BROKER_SIGNING_KEYS array, or an object of the broker's vars and
                             secrets, with the broker's own rules; names each bad field, never
                             its value

Docs: docs/broker.md ("Clients", "Signing keys", "Deploying to Cloudflare").`;

/**
 * Runs one command line (without `node` and the script) and says how it ended.
 *
 * @example
 * const code = await main(["hash-secret", "demo-secret"], io);
 * // io.out: "secretHash  sha256:zVd_4lYev_I1BdsLsAYwDHzey9RrwOA8RJr6-sosJb8"
 */
export async function main(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const [command, ...rest] = args;
  switch (command) {
    case "hash-secret":
      return hashSecretCommand(rest, io);
    case "signing-key":
      return signingKeyCommand(rest, io);
    case "client":
      return clientEntry(rest, io);
    case "check-config":
      return checkConfig(rest, io);
    case undefined:
    case "help":
    case "-h":
    case "--help":
      io.out(USAGE);
      return command === undefined ? 2 : 0;
    default:
      io.err(
        `edgetoken: unknown command (expected hash-secret, signing-key, client or check-config)`,
      );
      io.err(`run "edgetoken --help" for usage`);
      return 2;
  }
}
