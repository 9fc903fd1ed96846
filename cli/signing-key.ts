/**
 * `edgetoken signing-key`: a new ES256 key for the broker, as `BROKER_SIGNING_KEYS` takes it — a
 * JSON array of private JWKs with a `kid`, here one, made as the broker makes its development
 * keys (the `kid` is the key's RFC 7638 thumbprint). One line, ready for
 * `| npx wrangler secret put BROKER_SIGNING_KEYS`.
 */
import { generateSigningJwk } from "../worker/tokens/signing-keys.ts";
import type { CliIo, ExitCode } from "./main.ts";

export async function signingKeyCommand(args: readonly string[], io: CliIo): Promise<ExitCode> {
  if (args.length > 0) {
    io.err("edgetoken signing-key: takes no arguments");
    return 2;
  }
  const jwk = await generateSigningJwk();
  io.out(JSON.stringify([{ ...jwk, alg: "ES256" }]));
  return 0;
}
