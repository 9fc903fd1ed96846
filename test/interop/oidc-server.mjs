// Vitest global setup (runs in Node, beside the workerd pool): a real OAuth 2.0 authorization
// server nobody here wrote — panva's certified `oidc-provider` — with the client-credentials
// grant, RFC 8707 resource indicators, RFC 7009 revocation and RFC 7662 introspection, and a
// small protected API in front of it that takes only live tokens. The tests in
// oidc-provider.test.ts reach both over 127.0.0.1 from inside workerd, through the library.
import { createServer } from "node:http";
import { exportJWK, generateKeyPair } from "jose";
import Provider, { errors } from "oidc-provider";
import { CLIENTS, RESOURCE } from "./oidc-clients.mjs";

/**
 * oidc-provider's storage, in memory for the length of the run — its own interface, written here
 * so the server does not warn that its quick-start adapter is in use.
 */
class MemoryAdapter {
  static entries = new Map();
  /** @param {string} name */
  constructor(name) {
    this.name = name;
  }
  key(/** @type {string} */ id) {
    return `${this.name}:${id}`;
  }
  async upsert(/** @type {string} */ id, /** @type {any} */ payload) {
    MemoryAdapter.entries.set(this.key(id), payload);
  }
  async find(/** @type {string} */ id) {
    return MemoryAdapter.entries.get(this.key(id));
  }
  async findByUserCode() {
    return undefined;
  }
  async findByUid() {
    return undefined;
  }
  async consume(/** @type {string} */ id) {
    const entry = MemoryAdapter.entries.get(this.key(id));
    if (entry !== undefined) entry.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(/** @type {string} */ id) {
    MemoryAdapter.entries.delete(this.key(id));
  }
  async revokeByGrantId(/** @type {string} */ grantId) {
    for (const [key, entry] of MemoryAdapter.entries) {
      if (entry?.grantId === grantId) MemoryAdapter.entries.delete(key);
    }
  }
}

/** @param {import("node:http").IncomingMessage} request */
function body(request) {
  return new Promise((resolve) => {
    let text = "";
    request.on("data", (chunk) => {
      text += chunk;
    });
    request.on("end", () => resolve(text));
  });
}

/** @param {import("vitest/node").TestProject} project */
export default async function setup(project) {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  const issuer = `http://127.0.0.1:${address.port}`;

  const client = (/** @type {{id: string, secret: string}} */ c, method) => ({
    client_id: c.id,
    client_secret: c.secret,
    grant_types: ["client_credentials"],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: method,
    scope: "payments refunds",
  });
  // Its own signing key (it signs no token these tests use, but would warn without one).
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const provider = new Provider(issuer, {
    adapter: MemoryAdapter,
    jwks: { keys: [{ ...(await exportJWK(privateKey)), alg: "RS256", use: "sig" }] },
    clients: [
      client(CLIENTS.basic, "client_secret_basic"),
      client(CLIENTS.post, "client_secret_post"),
    ],
    // "payouts" exists, but no client here may have it.
    scopes: ["payments", "refunds", "payouts"],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // RFC 7009 §2.1: a client revokes only the tokens issued to it.
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resourceIndicator) => {
          if (resourceIndicator !== RESOURCE) throw new errors.InvalidTarget();
          return {
            scope: "payments refunds payouts",
            accessTokenTTL: 120,
            accessTokenFormat: "opaque",
          };
        },
      },
    },
    ttl: { ClientCredentials: 120 },
  });

  /** Token requests per client authentication method and outcome, for the tests to read. */
  const counts = { token: 0, revoked: 0 };
  provider.use(async (ctx, next) => {
    if (ctx.path === "/token" && ctx.method === "POST") counts.token += 1;
    await next();
  });
  const oidc = provider.callback();

  server.on("request", async (request, response) => {
    const url = new URL(request.url ?? "/", issuer);
    if (url.pathname === "/_counts") {
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify(counts));
      return;
    }
    if (url.pathname === "/_reset-counts" && request.method === "POST") {
      counts.token = 0;
      response.end("{}");
      return;
    }
    if (url.pathname.startsWith("/api/")) {
      // The protected API: a token the authorization server says is active, for our resource.
      const authorization = request.headers.authorization ?? "";
      const token = authorization.startsWith("Bearer ") ? authorization.slice(7) : "";
      await body(request);
      const found = token === "" ? undefined : await provider.ClientCredentials.find(token);
      const live = found !== undefined && !found.isExpired && found.aud === RESOURCE;
      response.statusCode = live ? 200 : 401;
      if (!live) response.setHeader("www-authenticate", 'Bearer error="invalid_token"');
      response.setHeader("content-type", "application/json");
      response.end(
        JSON.stringify(live ? { paid: true, scope: found.scope } : { error: "invalid_token" }),
      );
      return;
    }
    oidc(request, response);
  });

  project.provide("oidcIssuer", issuer);
  return async () => {
    await new Promise((resolve) => server.close(() => resolve(undefined)));
  };
}
