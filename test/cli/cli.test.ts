/**
 * `edgetoken`, the command, run through `main` with its process replaced (cli/index.ts wires
 * the real one; `npm run test:runtimes` runs the packed executable). What it prints must be what
 * the broker takes: the hash its client authentication computes, a key its startup imports, an
 * entry its schema accepts — and a configuration's problems named without their values.
 */
import { env } from "cloudflare:test";
import { base64url, calculateJwkThumbprint } from "jose";
import { describe, expect, it } from "vitest";
import { type CliIo, main } from "../../cli/main.ts";
import { clientProblems, configProblems } from "../../worker/config/parse.ts";
import { authenticateClient } from "../../worker/oauth/client-auth.ts";
import type { ClientPolicy } from "../../worker/oauth/client-policy.ts";
import { importSigningKeys } from "../../worker/tokens/signing-keys.ts";

/** A run of the command: its exit code, stdout and stderr lines, with `files` to read. */
async function run(args: string[], files: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    read: async (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: ${path}`);
      return text;
    },
  };
  const code = await main(args, io);
  return { code, out, err, all: [...out, ...err].join("\n") };
}

/** `name  value` lines as a record. */
function fields(lines: string[]): Record<string, string> {
  return Object.fromEntries(lines.map((line) => line.split(/\s+/, 2) as [string, string]));
}

const ENCRYPTION_KEY = "0123456789abcdef0123456789abcdef";

describe("edgetoken hash-secret", () => {
  it("hashes a given secret as the broker does, without printing it back", async () => {
    const { code, out, err } = await run(["hash-secret", "demo-secret"]);
    expect(code).toBe(0);
    // wrangler.toml's client `demo`, secret `demo-secret`.
    expect(out).toEqual(["secretHash  sha256:zVd_4lYev_I1BdsLsAYwDHzey9RrwOA8RJr6-sosJb8"]);
    expect(err.join("\n")).toMatch(/shorter than 43 characters/);
    expect(err.join("\n")).not.toContain("demo-secret");
  });

  it("makes a 32-byte random secret when given none, and the broker accepts it", async () => {
    const first = fields((await run(["hash-secret"])).out);
    const second = fields((await run(["hash-secret"])).out);
    expect(first.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(base64url.decode(first.secret ?? "")).toHaveLength(32);
    expect(first.secret).not.toBe(second.secret);
    const client = { id: "new", secretHash: first.secretHash } as ClientPolicy;
    const clients = new Map([["new", client]]);
    const presented = { id: "new", secret: first.secret ?? "" };
    const method = "client_secret_basic" as const;
    expect((await authenticateClient({ ...presented, method }, clients)).ok).toBe(true);
    const wrong = { ...presented, secret: second.secret ?? "", method };
    expect((await authenticateClient(wrong, clients)).ok).toBe(false);
  });

  it("reads the secret from stdin with -, without its line end", async () => {
    const { code, out } = await run(["hash-secret", "-"], { "-": "demo-secret\n" });
    expect(code).toBe(0);
    expect(out).toEqual(["secretHash  sha256:zVd_4lYev_I1BdsLsAYwDHzey9RrwOA8RJr6-sosJb8"]);
    expect((await run(["hash-secret", "-"], { "-": "\n" })).code).toBe(2);
    expect((await run(["hash-secret", "a", "b"])).code).toBe(2);
  });
});

describe("edgetoken signing-key", () => {
  it("prints one ES256 private JWK whose kid is its thumbprint, as BROKER_SIGNING_KEYS takes it", async () => {
    const { code, out } = await run(["signing-key"]);
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    const keys = JSON.parse(out[0] ?? "");
    expect(keys).toHaveLength(1);
    const [key] = keys;
    expect(Object.keys(key).sort()).toEqual(["alg", "crv", "d", "kid", "kty", "x", "y"]);
    expect(key).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256" });
    expect(key.kid).toBe(
      await calculateJwkThumbprint({ kty: "EC", crv: "P-256", x: key.x, y: key.y }),
    );
    expect((await importSigningKeys(keys)).ok).toBe(true);
    const vars = {
      BROKER_CLIENTS: "[]",
      TOKEN_ENCRYPTION_KEY: ENCRYPTION_KEY,
      ISSUER: "https://broker.example",
      BROKER_SIGNING_KEYS: out[0],
    };
    expect(configProblems(vars)).toEqual([]);
    const second = JSON.parse((await run(["signing-key"])).out[0] ?? "");
    expect(second[0].kid).not.toBe(key.kid);
    // What it prints is checked as BROKER_SIGNING_KEYS, halves and all.
    const checked = await run(["check-config", "keys.json"], { "keys.json": out[0] ?? "" });
    expect(checked.out).toEqual(["keys.json: ok (BROKER_SIGNING_KEYS with 1 key)"]);
    const mismatched = JSON.stringify([key, { ...second[0], d: key.d }]);
    expect((await run(["check-config", "k.json"], { "k.json": mismatched })).out).toEqual([
      "k.json: BROKER_SIGNING_KEYS[1] must be a P-256 private key whose d matches x and y",
      "k.json: 1 problem",
    ]);
    const spoilt = JSON.stringify([{ ...key, crv: "P-384", d: "not base64url!" }, key]);
    const refused = await run(["check-config", "k.json"], { "k.json": spoilt });
    expect(refused.out).toEqual([
      'k.json: BROKER_SIGNING_KEYS[0].crv must be "P-256" (the broker signs ES256)',
      "k.json: BROKER_SIGNING_KEYS[0].d must be base64url",
      "k.json: 2 problems",
    ]);
    expect(refused.all).not.toContain(key.d);
  });
});

describe("edgetoken client", () => {
  it("prints an entry the broker's schema takes, and the secret its hash is of, on stderr", async () => {
    const { code, out, err } = await run([
      "client",
      "checkout-backend",
      "--scope",
      "ipospays:PaymentTokenization papaya:payments",
      "--scope=paymentsgate:payments",
      "--audience",
      "https://broker.example",
      "--max-lifetime",
      "600",
      "--origin",
      "https://shop.example",
      "--provider-tokens",
      "--rate-limit",
      "1000/60",
    ]);
    expect(code).toBe(0);
    const entry = JSON.parse(out.join("\n"));
    expect(entry).toEqual({
      id: "checkout-backend",
      secretHash: expect.stringMatching(/^sha256:[A-Za-z0-9_-]{43}$/),
      scopes: ["ipospays:PaymentTokenization", "papaya:payments", "paymentsgate:payments"],
      audiences: ["https://broker.example"],
      maxLifetime: 600,
      origins: ["https://shop.example"],
      providerTokens: true,
      rateLimit: { requests: 1000, windowSeconds: 60 },
    });
    expect(clientProblems([entry])).toEqual([]);
    const checked = await run(["check-config", "entry.json"], { "entry.json": out.join("\n") });
    expect(checked.out).toEqual(["entry.json: ok (one BROKER_CLIENTS entry)"]);
    const spoilt = JSON.stringify({ ...entry, maxLifetime: 0 });
    expect((await run(["check-config", "e.json"], { "e.json": spoilt })).out[0]).toBe(
      "e.json: BROKER_CLIENTS[0].maxLifetime must be at least 60 seconds",
    );
    const secret = fields(err).secret ?? "";
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(out.join("\n")).not.toContain(secret);
    expect((await run(["hash-secret", secret])).out).toEqual([`secretHash  ${entry.secretHash}`]);
  });

  it("defaults: the broker's default audience, a 300 s ceiling, nothing else", async () => {
    const { out } = await run(["client", "demo2", "--scope", "papaya:payments"]);
    expect(JSON.parse(out.join("\n"))).toEqual({
      id: "demo2",
      secretHash: expect.any(String),
      scopes: ["papaya:payments"],
      audiences: ["edgetoken"],
      maxLifetime: 300,
    });
  });

  it("names the option at fault, and prints no entry and no secret", async () => {
    const cases: Array<[string[], RegExp, number]> = [
      [["client", "x", "--scope", "papaya:payroll"], /--scope: scopes\[0\] must be one of/, 1],
      [["client", "x y", "--scope", "papaya:payments"], /<id>: id must be 1–64/, 1],
      [
        ["client", "x", "--scope", "papaya:payments", "--max-lifetime", "9000"],
        /--max-lifetime: maxLifetime must be at most 900 seconds/,
        1,
      ],
      [
        ["client", "x", "--scope", "papaya:payments", "--origin", "https://shop.example/*"],
        /--origin: origins\[0\] must be an origin/,
        1,
      ],
      [
        ["client", "x", "--scope", "papaya:payments", "--rate-limit", "lots"],
        /--rate-limit: rateLimit\.requests must be/,
        1,
      ],
      [["client", "x"], /--scope is required/, 2],
      [["client", "--scope", "papaya:payments"], /give one client id/, 2],
      [["client", "x", "--scope"], /--scope needs a value/, 2],
      [["client", "x", "--scopes", "papaya:payments"], /unknown option --scopes/, 2],
      [["client", "x", "--operator=yes", "--scope", "papaya:payments"], /takes no value/, 2],
    ];
    for (const [args, message, expected] of cases) {
      const { code, out, err } = await run(args);
      expect(code, args.join(" ")).toBe(expected);
      expect(out, args.join(" ")).toEqual([]);
      expect(err.join("\n"), args.join(" ")).toMatch(message);
      expect(err.join("\n"), args.join(" ")).not.toMatch(/secret {2}/);
    }
  });
});

describe("edgetoken check-config", () => {
  const good = {
    id: "shop",
    secretHash: "sha256:zVd_4lYev_I1BdsLsAYwDHzey9RrwOA8RJr6-sosJb8",
    scopes: ["papaya:payments"],
    audiences: ["edgetoken"],
    maxLifetime: 300,
  };

  it("takes the embedded default's BROKER_CLIENTS (wrangler.toml) and its whole configuration", async () => {
    const clients = String(env.BROKER_CLIENTS);
    expect(await run(["check-config", "clients.json"], { "clients.json": clients })).toMatchObject({
      code: 0,
      out: ["clients.json: ok (BROKER_CLIENTS with 1 client)"],
    });
    const vars = JSON.stringify(env);
    const whole = await run(["check-config", "-"], { "-": vars });
    expect(whole.out).toEqual([
      "stdin: ok (1 client, development signing keys, providers: ipospays, paymentsgate, papaya)",
    ]);
    expect(whole.code).toBe(0);
  });

  it("names every bad field of BROKER_CLIENTS and what it must be, never a value", async () => {
    const planted = "PLANTED-SECRET-6f1d";
    const clients = [
      {
        ...good,
        id: `bad id ${planted}`,
        secretHash: `sha256:${planted}`,
        scopes: [`papaya:${planted}`],
        maxLifetime: 9000,
        origins: [`https://${planted}.example/*`],
        secret: planted,
      },
      good,
      { ...good, audiences: [] },
      good,
    ];
    const { code, out, all } = await run(["check-config", "c.json"], {
      "c.json": JSON.stringify(clients),
    });
    expect(code).toBe(1);
    expect(out).toEqual([
      'c.json: BROKER_CLIENTS[0].id must be 1–64 letters, digits, ".", "_", "~" or "-"',
      'c.json: BROKER_CLIENTS[0].secretHash must be "sha256:" followed by the base64url SHA-256 of the secret (43 characters)',
      "c.json: BROKER_CLIENTS[0].scopes[0] must be one of ipospays:PaymentTokenization, ipospays:Recurring, ipospays:BatchReport, ipospays:ExternalApi, paymentsgate:payments, papaya:payments",
      "c.json: BROKER_CLIENTS[0].maxLifetime must be at most 900 seconds",
      'c.json: BROKER_CLIENTS[0].origins[0] must be an origin such as https://shop.example (no path, no "*")',
      "c.json: BROKER_CLIENTS[0].secret is not a known field",
      "c.json: BROKER_CLIENTS[2].audiences must list at least one audience (the first is the default)",
      "c.json: BROKER_CLIENTS[2].id must be unique",
      "c.json: 8 problems",
    ]);
    expect(all).not.toContain(planted);
  });

  it("checks a whole configuration: vars, secrets, keys that do not match, provider settings", async () => {
    const planted = "PLANTED-SECRET-0c2a";
    const [key] = JSON.parse((await run(["signing-key"])).out[0] ?? "");
    const [other] = JSON.parse((await run(["signing-key"])).out[0] ?? "");
    const schema = await run(["check-config", "-"], {
      "-": JSON.stringify({
        BROKER_CLIENTS: [good],
        TOKEN_ENCRYPTION_KEY: planted,
        ISSUER: `https://${planted}.example/path`,
        IPOSPAYS_ENVIRONMENT: planted,
        PAYMENTSGATE_ACCOUNT_ID: planted,
      }),
    });
    expect(schema.code).toBe(1);
    expect(schema.out).toEqual([
      "stdin: ISSUER must be an https origin such as https://auth.example.com (no path)",
      "stdin: TOKEN_ENCRYPTION_KEY must be at least 32 characters of random secret",
      'stdin: IPOSPAYS_ENVIRONMENT must be "sandbox" or "production"',
      "stdin: PAYMENTSGATE_ACCOUNT_ID must be the service account's UUID",
      "stdin: 4 problems",
    ]);
    expect(schema.all).not.toContain(planted);

    // The schema is satisfied; the startup's own checks find the rest.
    const startup = await run(["check-config", "-"], {
      "-": JSON.stringify({
        BROKER_CLIENTS: [good],
        TOKEN_ENCRYPTION_KEY: ENCRYPTION_KEY,
        ISSUER: "https://broker.example",
        BROKER_SIGNING_KEYS: [{ ...key, d: other.d }],
        IPOSPAYS_API_KEY: `key\n${planted}`,
        IPOSPAYS_SECRET_KEY: planted,
      }),
    });
    expect(startup.code).toBe(1);
    expect(startup.out[0]).toBe(
      "stdin: BROKER_SIGNING_KEYS[0] must be a P-256 private key whose d matches x and y",
    );
    expect(startup.out[1]).toMatch(/^stdin: IPOSPAYS_\* /);
    expect(startup.out.at(-1)).toBe("stdin: 2 problems");
    expect(startup.all).not.toContain(planted);

    const crossed = await run(["check-config", "-"], {
      "-": JSON.stringify({
        BROKER_CLIENTS: [good, good],
        TOKEN_ENCRYPTION_KEY: ENCRYPTION_KEY,
        BROKER_SIGNING_KEYS: [key],
        DEMO_CLIENT_ID: "nobody",
        PAPAYA_API_KEY: planted,
      }),
    });
    expect(crossed.out).toEqual([
      "stdin: BROKER_CLIENTS[1].id must be unique",
      "stdin: DEMO_CLIENT_ID must name a client in BROKER_CLIENTS",
      "stdin: ISSUER must be set when BROKER_SIGNING_KEYS is (otherwise each request's Host header would name the issuer)",
      "stdin: PAPAYA_CLIENT_SECRET must be set when PAPAYA_API_KEY is",
      "stdin: 4 problems",
    ]);
    expect(crossed.all).not.toContain(planted);
  });

  it("says what is wrong with input that is not a configuration, without quoting it", async () => {
    const planted = "PLANTED-SECRET-99ab";
    const cases: Array<[string, string]> = [
      [`{"BROKER_CLIENTS": [${planted}`, "f: not JSON"],
      [`${planted}`, "f: not JSON"],
      [`"${planted}"`, "f: must be a BROKER_CLIENTS array or an object of the broker's vars"],
      ["null", "f: must be a BROKER_CLIENTS array or an object of the broker's vars"],
    ];
    for (const [text, line] of cases) {
      const { code, out, all } = await run(["check-config", "f"], { f: text });
      expect(code).toBe(1);
      expect(out[0]).toMatch(new RegExp(`^${line.replace(/[()]/g, "\\$&")}`));
      expect(all).not.toContain(planted);
    }
    expect((await run(["check-config", "missing.json"])).err).toEqual([
      "edgetoken check-config: missing.json could not be read",
    ]);
    expect((await run(["check-config"])).code).toBe(2);
  });
});

describe("edgetoken", () => {
  it("prints its usage for --help (0) and for nothing (2); an unknown command is 2", async () => {
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.out.join("\n")).toMatch(
      /hash-secret.*\n[\s\S]*signing-key[\s\S]*client[\s\S]*check-config/,
    );
    expect((await run([])).code).toBe(2);
    const unknown = await run(["hash"]);
    expect(unknown.code).toBe(2);
    expect(unknown.err[0]).toMatch(/unknown command/);
  });
});
