/**
 * A token server on 127.0.0.1 for the benchmarks: one endpoint shape per client library, every
 * answer a fresh one-hour token. HTTP for edgetoken and google-auth-library, HTTPS with a
 * self-signed certificate (made with `openssl` on the spot) for @azure/identity, whose MSAL
 * insists on https. No internet: every token URL the benchmarks use points here.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer as createHttp, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttps } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TokenServer {
  /** `http://127.0.0.1:<port>` */
  http: string;
  /** `https://127.0.0.1:<port>` */
  https: string;
  /** The PEM the https side is served with (give it to Node as NODE_EXTRA_CA_CERTS). */
  certificateFile: string;
  /** Token requests answered, by path. */
  calls: Map<string, number>;
  /**
   * What token answers say from now on: `expires_in` (default 3600) and how long each answer
   * waits before it is sent (default 0) — a slow auth server, so callers that wait show.
   */
  answer: { expiresIn: number; delayMs: number };
  close(): Promise<void>;
}

/** A self-signed certificate for 127.0.0.1, in a temporary folder. */
export function selfSigned(): { keyFile: string; certificateFile: string } {
  const dir = mkdtempSync(join(tmpdir(), "edgetoken-bench-tls-"));
  const keyFile = join(dir, "key.pem");
  const certificateFile = join(dir, "cert.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      keyFile,
      "-out",
      certificateFile,
      "-days",
      "2",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ],
    { stdio: "ignore" },
  );
  return { keyFile, certificateFile };
}

function json(response: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(200, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

function handler(
  calls: Map<string, number>,
  origin: () => string,
  answer: { expiresIn: number; delayMs: number },
) {
  let issued = 0;
  return (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => {
      body += chunk;
    });
    request.on("end", () => {
      // Azure AD's OpenID metadata for a tenant: where MSAL finds the token endpoint.
      const metadata = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(url.pathname);
      if (metadata !== null) {
        const tenant = metadata[1];
        const base = `${origin()}/${tenant}`;
        json(response, {
          token_endpoint: `${base}/oauth2/v2.0/token`,
          authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
          device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
          end_session_endpoint: `${base}/oauth2/v2.0/logout`,
          issuer: `${base}/v2.0`,
          jwks_uri: `${base}/discovery/v2.0/keys`,
          response_types_supported: ["code", "id_token", "token"],
          scopes_supported: ["openid"],
          subject_types_supported: ["pairwise"],
          id_token_signing_alg_values_supported: ["RS256"],
          token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"],
        });
        return;
      }
      if (request.method === "POST" && /token$/.test(url.pathname)) {
        calls.set(url.pathname, (calls.get(url.pathname) ?? 0) + 1);
        issued++;
        const { expiresIn, delayMs } = answer;
        const token = {
          access_token: `bench-token-${issued}-${"x".repeat(600)}`,
          token_type: "Bearer",
          expires_in: expiresIn,
          ext_expires_in: expiresIn,
          // The scope asked for: MSAL files the token under the scopes the answer names.
          scope: new URLSearchParams(body).get("scope") ?? "payments",
        };
        if (delayMs > 0) setTimeout(() => json(response, token), delayMs);
        else json(response, token);
        return;
      }
      response.writeHead(404, { "content-length": 0 });
      response.end();
    });
  };
}

function listen(server: ReturnType<typeof createHttp>): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

export async function startTokenServer(tls = selfSigned()): Promise<TokenServer> {
  const calls = new Map<string, number>();
  const answer = { expiresIn: 3600, delayMs: 0 };
  let httpsOrigin = "";
  // Typed by hand: the handler reads `plainOrigin`, which is only known once `plain` listens.
  const plain: ReturnType<typeof createHttp> = createHttp(
    handler(calls, () => plainOrigin, answer),
  );
  const secure = createHttps(
    { key: readFileSync(tls.keyFile), cert: readFileSync(tls.certificateFile) },
    handler(calls, () => httpsOrigin, answer),
  );
  const plainOrigin: string = `http://127.0.0.1:${await listen(plain)}`;
  httpsOrigin = `https://127.0.0.1:${await listen(secure)}`;
  return {
    http: plainOrigin,
    https: httpsOrigin,
    certificateFile: tls.certificateFile,
    calls,
    answer,
    close: async () => {
      plain.closeAllConnections();
      secure.closeAllConnections();
      await Promise.all([
        new Promise((resolve) => plain.close(resolve)),
        new Promise((resolve) => secure.close(resolve)),
      ]);
    },
  };
}

/**
 * The token server for a benchmark run as its own process. Node reads NODE_EXTRA_CA_CERTS once,
 * at start: the first call makes the certificate and runs this process again with it (and exits
 * with that run's status); in the run again, it starts the server on that certificate.
 */
export async function startTrustedTokenServer(): Promise<TokenServer> {
  if (process.env.BENCH_TLS_KEY === undefined) {
    const tls = selfSigned();
    const rerun = spawnSync(process.execPath, process.argv.slice(1), {
      stdio: "inherit",
      env: {
        ...process.env,
        NODE_EXTRA_CA_CERTS: tls.certificateFile,
        BENCH_TLS_KEY: tls.keyFile,
        BENCH_TLS_CERT: tls.certificateFile,
      },
    });
    process.exit(rerun.status ?? 1);
  }
  return startTokenServer({
    keyFile: process.env.BENCH_TLS_KEY,
    certificateFile: String(process.env.BENCH_TLS_CERT),
  });
}
