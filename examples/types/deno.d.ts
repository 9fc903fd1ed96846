/**
 * The Deno APIs the examples use, for this repository's type check only (see node.d.ts); CI
 * also runs `deno check` on the Deno example with Deno's own types.
 */
declare namespace Deno {
  const env: { get(name: string): string | undefined };
  interface AtomicOperation {
    check(...checks: { key: readonly string[]; versionstamp: string | null }[]): this;
    set(key: readonly string[], value: unknown, options?: { expireIn?: number }): this;
    delete(key: readonly string[]): this;
    commit(): Promise<{ ok: true; versionstamp: string } | { ok: false }>;
  }
  interface Kv {
    get(
      key: readonly string[],
      options?: { consistency?: "strong" | "eventual" },
    ): Promise<{ value: unknown; versionstamp: string | null }>;
    set(key: readonly string[], value: unknown, options?: { expireIn?: number }): Promise<unknown>;
    delete(key: readonly string[]): Promise<void>;
    atomic(): AtomicOperation;
    close(): void;
  }
  function openKv(path?: string): Promise<Kv>;
  function serve(
    options: { hostname?: string; port?: number; onListen?: (address: { port: number }) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): unknown;
}
