// The package as users get it: packed with `npm pack` (its `prepack` script builds dist/),
// installed from the tarball into a fresh folder (its dependencies from the registry), with the
// smoke scenario copied beside it.
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
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
  // No build here, and no dist/ left from an earlier one: `npm pack` must build it as it would
  // on a fresh clone, so a package without its `prepack` fails this test instead of shipping.
  await rm(join(root, "dist"), { recursive: true, force: true });
  const packed = await run("npm", ["pack", "--json", "--pack-destination", folder, ...NPM_FLAGS], {
    cwd: root,
    timeoutMs: 120_000,
  });
  must("npm pack", packed);
  const [{ filename, files }] = JSON.parse(packed.stdout);
  const missing = await exportTargetsMissing(root, new Set(files.map((file) => file.path)));
  if (missing.length > 0) {
    throw new Error(
      `npm pack left out what package.json "exports" points at: ${missing.join(", ")} (is the "prepack" build still there?)`,
    );
  }
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

/**
 * Every file the manifest's `exports` names, as `npm pack` lists paths, that the tarball lacks.
 *
 * @param {string} root
 * @param {Set<string>} packed
 */
async function exportTargetsMissing(root, packed) {
  const manifest = JSON.parse(await readFile(join(root, "package.json"), "utf8"));
  /** @type {string[]} */
  const targets = [];
  const collect = (/** @type {unknown} */ value) => {
    if (typeof value === "string") targets.push(value.replace(/^\.\//, ""));
    else if (value !== null && typeof value === "object") Object.values(value).forEach(collect);
  };
  collect(manifest.exports);
  return targets.filter((target) => !packed.has(target));
}

/** @param {string} what @param {{ ok: boolean, output: string }} result */
function must(what, result) {
  if (!result.ok) throw new Error(`${what} failed:\n${result.output.slice(-4000)}`);
}
