/**
 * The `edgetoken` executable (`bin` in package.json; esbuild bundles it into dist/cli.js with a
 * `#!/usr/bin/env node` line). The process is wired to `main` here and nowhere else: arguments,
 * output, the exit code, and a file or stdin for `-`.
 */
import { readFile } from "node:fs/promises";
import process from "node:process";
import { main } from "./main.ts";

async function readInput(path: string): Promise<string> {
  if (path !== "-") return readFile(path, "utf8");
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of process.stdin) text += decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}

process.exitCode = await main(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  read: readInput,
});
