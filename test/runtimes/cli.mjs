// `edgetoken`, the packed executable, as a user runs it after installing the tarball
// (node_modules/.bin/edgetoken): each command once, with what it prints checked against what
// the next one takes — a new client entry and a new signing key pass check-config, from a file
// and from stdin — and a bad configuration refused with its fields named, never its values.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { run } from "./child.mjs";

const TIMEOUT_MS = 30_000;

/**
 * @param {unknown} condition
 * @param {string} message
 * @returns {asserts condition}
 */
function check(condition, message) {
  if (!condition) throw new Error(message);
}

/**
 * Throws with the reason when the packed executable misbehaves.
 *
 * @param {string} folder where the tarball is installed
 */
export async function checkCli(folder) {
  const edgetoken = join(folder, "node_modules", ".bin", "edgetoken");
  /** @param {string[]} args @param {string} [input] */
  const cli = (args, input) =>
    run(edgetoken, args, {
      cwd: folder,
      timeoutMs: TIMEOUT_MS,
      ...(input === undefined ? {} : { input }),
    });

  const hashed = await cli(["hash-secret", "demo-secret"]);
  check(
    hashed.ok &&
      hashed.stdout === "secretHash  sha256:zVd_4lYev_I1BdsLsAYwDHzey9RrwOA8RJr6-sosJb8\n",
    `hash-secret demo-secret:\n${hashed.output}`,
  );
  const made = await cli(["hash-secret"]);
  check(
    made.ok && /^secret {6}[\w-]{43}\nsecretHash {2}sha256:[\w-]{43}\n$/.test(made.stdout),
    made.output,
  );

  const key = await cli(["signing-key"]);
  check(key.ok, `signing-key:\n${key.output}`);
  const keys = JSON.parse(key.stdout);
  check(keys.length === 1 && keys[0].kty === "EC" && typeof keys[0].kid === "string", key.stdout);

  const keysFile = join(folder, "keys.json");
  await writeFile(keysFile, key.stdout);
  const keysChecked = await cli(["check-config", keysFile]);
  check(keysChecked.stdout.includes("ok (BROKER_SIGNING_KEYS with 1 key)"), keysChecked.output);

  const client = await cli(["client", "checkout", "--scope", "ipospays:PaymentTokenization"]);
  check(client.ok, `client:\n${client.output}`);
  const entry = JSON.parse(client.stdout);
  const secret = /^secret {2}([\w-]{43})$/m.exec(client.stderr)?.[1];
  check(
    secret !== undefined && !client.stdout.includes(secret),
    "the secret is not on stderr alone",
  );
  const rehashed = await cli(["hash-secret", "-"], `${secret}\n`);
  check(
    rehashed.stdout === `secretHash  ${entry.secretHash}\n`,
    "the entry's hash is not its secret's",
  );

  const clientsFile = join(folder, "clients.json");
  await writeFile(clientsFile, JSON.stringify([entry]));
  const clients = await cli(["check-config", clientsFile]);
  check(clients.ok && clients.stdout.includes("ok (BROKER_CLIENTS with 1 client)"), clients.output);

  const vars = {
    BROKER_CLIENTS: [entry],
    TOKEN_ENCRYPTION_KEY: "0123456789abcdef0123456789abcdef",
    ISSUER: "https://broker.example",
    BROKER_SIGNING_KEYS: keys,
  };
  const whole = await cli(["check-config", "-"], JSON.stringify(vars));
  check(whole.ok && whole.stdout.includes("stdin: ok (1 client, 1 signing key"), whole.output);

  const planted = "PLANTED-SECRET-3e7b";
  const bad = {
    ...vars,
    TOKEN_ENCRYPTION_KEY: planted,
    BROKER_CLIENTS: [{ ...entry, maxLifetime: planted }],
  };
  const refused = await cli(["check-config", "-"], JSON.stringify(bad));
  check(refused.code === 1, `a bad configuration exited ${refused.code}:\n${refused.output}`);
  check(refused.stdout.includes("BROKER_CLIENTS[0].maxLifetime must be"), refused.output);
  check(refused.stdout.includes("TOKEN_ENCRYPTION_KEY must be at least 32"), refused.output);
  check(!refused.output.includes(planted), "check-config printed a value it was given");
  const usage = await cli(["nonsense"]);
  check(usage.code === 2, `an unknown command exited ${usage.code}`);
}
