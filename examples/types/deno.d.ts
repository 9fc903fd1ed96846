/**
 * The Deno APIs the examples use, for this repository's type check only (see node.d.ts); CI
 * also runs `deno check` on the Deno example with Deno's own types.
 */
declare namespace Deno {
  const env: { get(name: string): string | undefined };
  interface Kv {
    get(
      key: readonly string[],
      options?: { consistency?: "strong" | "eventual" },
    ): Promise<{ value: unknown }>;
    set(key: readonly string[], value: string, options?: { expireIn?: number }): Promise<unknown>;
    delete(key: readonly string[]): Promise<void>;
    close(): void;
  }
  function openKv(path?: string): Promise<Kv>;
}
