/** The Bun APIs the examples use, for this repository's type check only (see node.d.ts). */
declare namespace Bun {
  const env: Record<string, string | undefined>;
  function serve(options: {
    hostname?: string;
    port?: number;
    fetch(request: Request): Response | Promise<Response>;
  }): { url: URL; stop(): void };
}
