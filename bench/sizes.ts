/**
 * What each choice costs in bytes, min+gz (esbuild `--bundle --minify`, then gzip level 9):
 *
 * - `core`: what a user of one provider and the memory store ships — the token source, iPOSpays
 *   and the memory store, from src/ (valibot and jose included);
 * - `coreKvEncrypted`: the same with the KV store over encrypted values instead of memory;
 * - `broker`: the broker as deployed — `wrangler deploy --dry-run --outdir` with wrangler.toml
 *   as it is (`minify = true`), its `index.js` gzipped;
 * - `tokenSource`: `createTokenSource` alone (cache, single flight, refresh ahead, backoff,
 *   deadline, store and lease logic, `source.fetch`), without a provider;
 * - `protocolIpospays`, `protocolOAuth2`: the request and response functions of iPOSpays
 *   (`ipospaysGenerateRequest`, `ipospaysRefreshRequest`, `processIposPaysResponse`) and of
 *   OAuth 2.0 (`oauth2TokenRequest`, `processOAuth2TokenResponse`), with `sendRequest` (timeout,
 *   retries, size cap): no cache, like oauth4webapi's below — the like-for-like comparison;
 * - `oauth4webapi`: oauth4webapi's client-credentials functions (`clientCredentialsGrantRequest`,
 *   `processClientCredentialsResponse`, `ClientSecretBasic`, `ClientSecretPost`; no cache);
 * - `googleAuthLibrary`: google-auth-library's `UserRefreshClient`, for Node;
 * - `azureIdentity`: @azure/identity's `ClientSecretCredential`, for Node.
 *
 * Run by `npm run bench:all`; alone: `node bench/sizes.ts`.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { ROOT } from "./support/baseline.ts";

export interface SizesResult {
  core: number;
  coreKvEncrypted: number;
  tokenSource: number;
  protocolIpospays: number;
  protocolOAuth2: number;
  broker: number;
  oauth4webapi: number;
  googleAuthLibrary: number;
  azureIdentity: number;
  /** Minified bytes before gzip, by the same names. */
  minified: Record<string, number>;
}

const SRC = join(ROOT, "src", "index.ts");

const ENTRIES = {
  core: {
    code: `export { createTokenSource, ipospays, createMemoryStore } from ${JSON.stringify(SRC)};`,
    node: false,
  },
  coreKvEncrypted: {
    code: `export { createTokenSource, ipospays, createKvStore, createEncryptedKv } from ${JSON.stringify(SRC)};`,
    node: false,
  },
  tokenSource: {
    code: `export { createTokenSource } from ${JSON.stringify(SRC)};`,
    node: false,
  },
  protocolIpospays: {
    code: `export { ipospaysGenerateRequest, ipospaysRefreshRequest, processIposPaysResponse, sendRequest } from ${JSON.stringify(SRC)};`,
    node: false,
  },
  protocolOAuth2: {
    code: `export { oauth2TokenRequest, processOAuth2TokenResponse, sendRequest } from ${JSON.stringify(SRC)};`,
    node: false,
  },
  oauth4webapi: {
    code: 'export { clientCredentialsGrantRequest, processClientCredentialsResponse, ClientSecretBasic, ClientSecretPost } from "oauth4webapi";',
    node: false,
  },
  googleAuthLibrary: {
    code: 'export { UserRefreshClient } from "google-auth-library";',
    node: true,
  },
  azureIdentity: { code: 'export { ClientSecretCredential } from "@azure/identity";', node: true },
} as const;

async function minified(code: string, node: boolean): Promise<Uint8Array> {
  const result = await build({
    stdin: { contents: code, resolveDir: ROOT, loader: "ts" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: node ? "node" : "neutral",
    mainFields: node ? ["module", "main"] : ["module", "main"],
    conditions: node ? [] : ["worker", "browser"],
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0]?.contents ?? new Uint8Array();
}

/** The broker as `wrangler deploy --dry-run` bundles it, with wrangler.toml as it is. */
function deployed(): Uint8Array {
  if (!existsSync(join(ROOT, "demo", "dist"))) {
    execFileSync(process.execPath, [join(ROOT, "scripts", "build-demo.mjs")], { cwd: ROOT });
  }
  const out = mkdtempSync(join(tmpdir(), "edgetoken-bench-deploy-"));
  try {
    execFileSync(
      join(ROOT, "node_modules", ".bin", "wrangler"),
      ["deploy", "--dry-run", "--outdir", out],
      { cwd: ROOT, stdio: "ignore", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
    );
    return readFileSync(join(out, "index.js"));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export async function sizesBench(): Promise<SizesResult> {
  const bytes: Record<string, Uint8Array> = {};
  for (const [name, { code, node }] of Object.entries(ENTRIES)) {
    bytes[name] = await minified(code, node);
  }
  bytes.broker = deployed();
  const gz = (name: string) => gzipSync(bytes[name] as Uint8Array, { level: 9 }).length;
  return {
    core: gz("core"),
    coreKvEncrypted: gz("coreKvEncrypted"),
    tokenSource: gz("tokenSource"),
    protocolIpospays: gz("protocolIpospays"),
    protocolOAuth2: gz("protocolOAuth2"),
    broker: gz("broker"),
    oauth4webapi: gz("oauth4webapi"),
    googleAuthLibrary: gz("googleAuthLibrary"),
    azureIdentity: gz("azureIdentity"),
    minified: Object.fromEntries(Object.entries(bytes).map(([name, b]) => [name, b.length])),
  };
}

if (import.meta.main) console.log(JSON.stringify(await sizesBench()));
