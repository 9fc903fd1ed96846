// A static file server on loopback for the browser smoke: GET only, nothing outside its folder,
// generated pages by path.
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, join, normalize, sep } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
};

/**
 * Serves `root` on 127.0.0.1 at a free port; `pages` answer their paths instead of files.
 *
 * @param {string} root
 * @param {Record<string, string>} pages HTML by path, e.g. `{ "/": "<!doctype html>…" }`
 * @returns {Promise<{ origin: string, close: () => Promise<void> }>}
 */
export async function serveFolder(root, pages) {
  const server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname);
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    const page = pages[path];
    if (page !== undefined) {
      response.writeHead(200, { "content-type": TYPES[".html"] }).end(page);
      return;
    }
    const file = normalize(join(root, path));
    const type = TYPES[/** @type {keyof typeof TYPES} */ (extname(file))];
    if (!file.startsWith(root + sep) || type === undefined) {
      response.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(file);
      response.writeHead(200, { "content-type": type, "cache-control": "no-store" }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(undefined));
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return {
    origin: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
