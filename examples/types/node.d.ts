/**
 * The Node APIs the examples use, for this repository's type check only: it does not depend on
 * @types/node, Bun's or Deno's types. Your own project uses the real ones (`npm i -D
 * @types/node`, `bun add -d @types/bun`, Deno's built in); the examples run in CI against the
 * real runtimes, which is what keeps these few lines honest.
 */
declare const process: { env: Record<string, string | undefined> };
interface ImportMeta {
  /** This module's file: URL (Node, Deno and Bun all have it). */
  readonly url: string;
}

declare module "node:http" {
  interface IncomingMessage extends AsyncIterable<Uint8Array> {
    method?: string;
    url?: string;
    headers: Record<string, string | string[] | undefined>;
  }
  interface ServerResponse {
    writeHead(status: number, headers?: Record<string, string>): ServerResponse;
    end(body?: string | Uint8Array): void;
  }
  interface Server {
    listen(port: number, host: string, listening?: () => void): Server;
  }
  export function createServer(
    handler: (request: IncomingMessage, response: ServerResponse) => void | Promise<void>,
  ): Server;
}

declare module "node:fs/promises" {
  export function readFile(path: URL): Promise<Uint8Array>;
}
