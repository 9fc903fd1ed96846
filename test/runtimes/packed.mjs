// The package as users get it: built, packed with `npm pack`, installed from the tarball into a
// fresh folder (its dependencies from the registry), with the smoke scenario copied beside it.
import { copyFile, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./child.mjs";

// --prefer-offline: valibot and jose usually sit in the cache `npm ci` filled.
const NPM_FLAGS = ["--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"];

/** A new empty folder under the system's temporary directory; the caller removes it. */
export function temporaryFolder() {
  return mkdtemp(join(tmpdir(), "edgetoken-runtimes-"));
}

/**
 * @param {string} root the repository
 * @param {string} folder an empty folder to install into
 */
export async function installPacked(root, folder) {
  must("npm run build", await run("npm", ["run", "build"], { cwd: root, timeoutMs: 120_000 }));
  const packed = await run("npm", ["pack", "--json", "--pack-destination", folder, ...NPM_FLAGS], {
    cwd: root,
    timeoutMs: 120_000,
  });
  must("npm pack", packed);
  const [{ filename }] = JSON.parse(packed.stdout);
  const manifest = { name: "edgetoken-runtime-smoke", private: true, type: "module" };
  await writeFile(join(folder, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  const installed = await run("npm", ["install", ...NPM_FLAGS, `./${filename}`], {
    cwd: folder,
    timeoutMs: 180_000,
  });
  must("npm install of the tarball", installed);
  for (const file of ["scenario.js", "entry.js"]) {
    await copyFile(join(root, "test", "runtimes", file), join(folder, file));
  }
}

/** @param {string} what @param {{ ok: boolean, output: string }} result */
function must(what, result) {
  if (!result.ok) throw new Error(`${what} failed:\n${result.output.slice(-4000)}`);
}
