// `npm run check:deno`: Deno type-checks the TypeScript source as JSR would publish it (deno.json
// maps valibot and jose to npm: specifiers), deno.json's version follows package.json, and a
// dry-run publish to JSR passes. All of it offline once node_modules is installed.
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "../test/runtimes/child.mjs";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const deno = join(root, "node_modules", ".bin", "deno");

const npmManifest = JSON.parse(await readFile(join(root, "package.json"), "utf8"));
const denoManifest = JSON.parse(await readFile(join(root, "deno.json"), "utf8"));
let failed = false;
if (denoManifest.version !== npmManifest.version) {
  console.log(
    `deno.json version ${denoManifest.version} differs from package.json ${npmManifest.version}: make them equal`,
  );
  failed = true;
}
const entries = Object.values(denoManifest.exports);
for (const [what, args] of [
  ["deno check", ["check", ...entries]],
  ["deno publish --dry-run", ["publish", "--dry-run", "--allow-dirty"]],
]) {
  const result = await run(deno, args, { cwd: root, timeoutMs: 180_000 });
  console.log(`${what}: ${result.ok ? "pass" : "fail"}`);
  if (!result.ok) {
    console.log(result.output.trimEnd());
    failed = true;
  }
}
process.exitCode = failed ? 1 : 0;
