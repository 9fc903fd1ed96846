/**
 * `edgetoken hash-secret [secret | -]`: the `sha256:` form `BROKER_CLIENTS[].secretHash` holds,
 * made by the broker's own `hashSecret`. With no secret, a new one: 32 random bytes, base64url.
 */
import { base64url } from "jose";
import { hashSecret } from "../worker/oauth/client-auth.ts";
import type { CliIo, ExitCode } from "./main.ts";

/** 32 random bytes in unpadded base64url: 43 characters. */
export const SECRET_LENGTH = 43;

/** A new client secret: 32 bytes from the platform's CSPRNG. */
export function newSecret(): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(32)));
}

/** The text piped in, without the line end `echo` or a file adds. */
export function withoutLineEnd(text: string): string {
  return text.replace(/\r?\n$/, "");
}

export async function hashSecretCommand(args: readonly string[], io: CliIo): Promise<ExitCode> {
  if (args.length > 1) {
    io.err("edgetoken hash-secret: at most one secret (or - to read it from stdin)");
    return 2;
  }
  const [given] = args;
  if (given === undefined) {
    const secret = newSecret();
    io.out(`secret      ${secret}`);
    io.out(`secretHash  ${await hashSecret(secret)}`);
    return 0;
  }
  let secret = given;
  if (given === "-") {
    try {
      secret = withoutLineEnd(await io.read("-"));
    } catch {
      io.err("edgetoken hash-secret: stdin could not be read");
      return 2;
    }
  }
  if (secret === "") {
    io.err("edgetoken hash-secret: the secret is empty");
    return 2;
  }
  // The secret is not printed back: it is the caller's, and a terminal's scrollback keeps it.
  io.out(`secretHash  ${await hashSecret(secret)}`);
  if (secret.length < SECRET_LENGTH) {
    io.err(
      `warning: the secret is shorter than ${SECRET_LENGTH} characters (32 random bytes in base64url). The broker keeps a fast SHA-256 hash: secrets must be long and random, never passwords.`,
    );
  }
  return 0;
}
