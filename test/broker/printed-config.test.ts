/**
 * `npm start` must not print credentials: wrangler shows every `[vars]` value in its binding
 * table (and hides `.dev.vars` values), so wrangler.toml's `[vars]` hold no credential, and the
 * embedded default's reach the Worker as `.dev.vars` does (here, vitest.config.ts's bindings).
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DEMO_CLIENT, EMBEDDED_DEFAULT_SECRETS } from "../../scripts/embedded-default.ts";
import wranglerToml from "../../wrangler.toml?raw";

/** The names wrangler would print: every `NAME =` line of the `[vars]` table. */
function printedVars(toml: string): string[] {
  const start = toml.indexOf("\n[vars]");
  const table = toml.slice(start + 1).split(/\n\[/)[0] ?? "";
  return [...table.matchAll(/^([A-Z][A-Z0-9_]*)\s*=/gm)].map((match) => match[1] ?? "");
}

describe("what npm start prints", () => {
  it("wrangler.toml's [vars] hold no credential and no credential's value", () => {
    const printed = printedVars(wranglerToml);
    expect(printed).toContain("BROKER_CLIENTS");
    for (const name of [
      "TOKEN_ENCRYPTION_KEY",
      "IPOSPAYS_API_KEY",
      "IPOSPAYS_SECRET_KEY",
      "PAYMENTSGATE_PUBLIC_KEY",
      "PAPAYA_API_KEY",
      "PAPAYA_CLIENT_SECRET",
    ]) {
      expect(printed).not.toContain(name);
      expect(Object.keys(EMBEDDED_DEFAULT_SECRETS)).toContain(name);
    }
    for (const value of Object.values(EMBEDDED_DEFAULT_SECRETS)) {
      expect(wranglerToml).not.toContain(value);
    }
  });

  it("the Worker still gets the embedded default's credentials", () => {
    for (const [name, value] of Object.entries(EMBEDDED_DEFAULT_SECRETS)) {
      expect(env[name as keyof Cloudflare.Env]).toBe(value);
    }
  });

  it("the demo client npm start writes for curl is wrangler.toml's, secret and all", async () => {
    const clients = JSON.parse(env.BROKER_CLIENTS ?? "[]") as Array<{
      id: string;
      secretHash: string;
    }>;
    const demo = clients.find((client) => client.id === DEMO_CLIENT.id);
    const digest = new Uint8Array(
      await crypto.subtle.digest("SHA-256", new TextEncoder().encode(DEMO_CLIENT.secret)),
    );
    const base64url = btoa(String.fromCharCode(...digest))
      .replaceAll("+", "-")
      .replaceAll("/", "_")
      .replace(/=+$/, "");
    expect(demo?.secretHash).toBe(`sha256:${base64url}`);
    expect(env.DEMO_CLIENT_ID).toBe(DEMO_CLIENT.id);
  });
});
