// The checkout page's backend (Node 20+, plain JavaScript): it holds the shop's broker client
// credentials and hands each page a two-minute broker token narrowed to one scope; the page
// never sees a secret. It serves the page, the package's files (a bundler would), and passes the
// page's payments on to the broker's proxy, so the page has one origin. With `npm start` running
// (the broker on 8787, the emulator on 8788):
//   node backend.mjs        then open http://127.0.0.1:3001/ in two or three tabs
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { broker, createTokenSource } from "edgetoken";

const BROKER = process.env.BROKER_URL ?? "http://127.0.0.1:8787";
const PORT = Number(process.env.PORT ?? 3001);
const SCOPE = "ipospays:PaymentTokenization";
const HERE = new URL("./", import.meta.url);
/** Where the package and its two dependencies are installed. */
const MODULES = new URL(process.env.NODE_MODULES ?? "../../node_modules/", HERE);
const VENDORED = ["edgetoken/dist/", "valibot/dist/", "jose/dist/webapi/"];

// The shop's own broker token (the embedded default's client; yours from the environment).
const shop = createTokenSource(
  broker({
    brokerUrl: BROKER,
    scope: SCOPE,
    clientId: process.env.BROKER_CLIENT_ID ?? "demo",
    clientSecret: process.env.BROKER_CLIENT_SECRET ?? "demo-secret",
  }),
);

/**
 * A page token: the shop's token exchanged for a two-minute one (RFC 8693). A real shop checks
 * the customer's session cookie first.
 */
async function pageToken() {
  const subject = await shop.get();
  return fetch(`${BROKER}/oauth/token`, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token: subject.value,
      subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
      scope: SCOPE,
      expires_in: "120",
    }),
  });
}

/** The page's payment, on to the broker's proxy: this one path only, never an open proxy. */
async function pay(/** @type {import("node:http").IncomingMessage} */ request) {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  /** @type {Record<string, string>} */
  const headers = { "content-type": "application/json" };
  for (const name of ["authorization", "idempotency-key"]) {
    const value = request.headers[name];
    if (typeof value === "string") headers[name] = value;
  }
  return fetch(`${BROKER}/proxy/ipospays/api/v3/iposTransact`, {
    method: "POST",
    headers,
    body: new Blob(chunks),
  });
}

/** A file of the page, or of the package under /vendor/; nothing else. */
async function file(/** @type {string} */ path) {
  if (path === "/") {
    return { type: "text/html; charset=utf-8", body: await readFile(new URL("index.html", HERE)) };
  }
  const type = "text/javascript; charset=utf-8";
  if (path === "/checkout.js") return { type, body: await readFile(new URL("checkout.js", HERE)) };
  const target = new URL(path.replace(/^\/vendor\//, ""), MODULES);
  const inside = VENDORED.some((folder) => target.href.startsWith(new URL(folder, MODULES).href));
  if (!path.startsWith("/vendor/") || !inside || !/\.m?js$/.test(target.pathname)) return undefined;
  return readFile(target).then(
    (body) => ({ type, body }),
    () => undefined, // not there
  );
}

createServer(async (request, response) => {
  const path = new URL(request.url ?? "/", "http://localhost").pathname;
  try {
    if (
      request.method === "POST" &&
      (path === "/checkout/token" || path === "/proxy/ipospays/api/v3/iposTransact")
    ) {
      const answer = path === "/checkout/token" ? await pageToken() : await pay(request);
      response.writeHead(answer.status, {
        "content-type": "application/json",
        "cache-control": "no-store",
      });
      response.end(await answer.text());
      return;
    }
    const found = request.method === "GET" ? await file(path) : undefined;
    if (found === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": found.type }).end(found.body);
  } catch {
    // A file that is not there, or a broker that does not answer: no detail for the page.
    response.writeHead(502, { "content-type": "application/json" }).end('{"error":"backend"}\n');
  }
}).listen(PORT, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${PORT}`));
