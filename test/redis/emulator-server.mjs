// One emulator for every process of a test: createEmulator().fetch behind node:http on
// 127.0.0.1, so the auth calls of the whole group are counted in one place. Its clock is the
// test's (the parent's), which it hands to the children with every step. It also counts what a
// payments team cares about: auth calls, PaymentsGate refresh tokens redeemed twice, refreshes
// refused.
import { createServer } from "node:http";
import { createEmulator } from "../../src/emulator/index.ts";

export const AUTH_PATHS = new Set([
  "/ipospays/v1/authenticate-token",
  "/ipospays/v1/refresh-token",
  "/paymentsgate/auth/token",
  "/paymentsgate/auth/token/refresh",
  "/papaya/token",
]);
const REFRESH = "/paymentsgate/auth/token/refresh";

/** @param {import("node:http").IncomingMessage} request @returns {Promise<Buffer>} */
function readBody(request) {
  return new Promise((resolve, reject) => {
    /** @type {Buffer[]} */
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

/** @param {{ now: () => number }} options */
export async function startEmulatorServer({ now }) {
  const emulator = createEmulator({ now });
  /** auth calls per path; refresh tokens presented twice; refreshes refused (401) */
  const counts = {
    /** @type {Record<string, number>} */
    auth: {},
    refreshReuse: 0,
    refreshRefused: 0,
    /** @type {{ path: string, at: number }[]} every auth call, at the emulator's time */
    log: [],
  };
  const redeemed = new Set();
  const server = createServer(async (incoming, outgoing) => {
    const url = new URL(incoming.url ?? "/", "http://127.0.0.1");
    const body = await readBody(incoming);
    /** @type {Record<string, string>} */
    const headers = {};
    for (const [name, value] of Object.entries(incoming.headers)) {
      if (typeof value === "string") headers[name] = value;
    }
    const method = incoming.method ?? "GET";
    const request = new Request(url, {
      method,
      headers,
      ...(method === "GET" || method === "HEAD" ? {} : { body }),
    });
    if (url.pathname === REFRESH) {
      try {
        const handle = JSON.parse(body.toString("utf8")).refresh_token;
        if (redeemed.has(handle)) counts.refreshReuse += 1;
        redeemed.add(handle);
      } catch {
        // Not JSON: the emulator answers it.
      }
    }
    const response = await emulator.fetch(request);
    if (AUTH_PATHS.has(url.pathname)) {
      counts.auth[url.pathname] = (counts.auth[url.pathname] ?? 0) + 1;
      counts.log.push({ path: url.pathname, at: now() });
    }
    if (url.pathname === REFRESH && response.status === 401) counts.refreshRefused += 1;
    outgoing.writeHead(response.status, Object.fromEntries(response.headers));
    outgoing.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    /** @param {string} prefix e.g. "/paymentsgate/" */
    authCalls(prefix) {
      return Object.entries(counts.auth)
        .filter(([path]) => path.startsWith(prefix))
        .reduce((sum, [, n]) => sum + n, 0);
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}
