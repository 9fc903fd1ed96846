/**
 * The few Node APIs the `edgetoken` executable uses (index.ts only), declared here: the project
 * does not depend on @types/node, and everything else in cli/ is Web APIs.
 */
declare module "node:process" {
  interface Writable {
    write(text: string): boolean;
  }
  interface Process {
    argv: string[];
    exitCode: number | undefined;
    stdout: Writable;
    stderr: Writable;
    stdin: AsyncIterable<Uint8Array>;
  }
  const process: Process;
  export default process;
}

declare module "node:fs/promises" {
  export function readFile(path: string, encoding: "utf8"): Promise<string>;
}
