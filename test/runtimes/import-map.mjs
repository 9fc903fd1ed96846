// The browser's import map for an installed package tree: each bare specifier resolved through
// its package's "exports" with the conditions a browser bundler would use, so the page loads the
// very files Node, Deno and Bun load.
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";

const CONDITIONS = ["browser", "import", "default"];

/**
 * Every bare specifier the package's JavaScript imports, plus `extra`, mapped to URLs under
 * `/node_modules/`.
 *
 * @param {string} folder where `node_modules` is
 * @param {string} name the package under test
 * @param {string[]} extra specifiers the page itself imports
 * @returns {Promise<{ imports: Record<string, string> }>}
 */
export async function importMap(folder, name, extra) {
  const specifiers = new Set(extra);
  for (const file of await javascriptFiles(join(folder, "node_modules", name))) {
    for (const specifier of bareImports(await readFile(file, "utf8"))) specifiers.add(specifier);
  }
  /** @type {Record<string, string>} */
  const imports = {};
  for (const specifier of [...specifiers].sort()) {
    const [packageName, subpath] = split(specifier);
    const packageDir = join(folder, "node_modules", packageName);
    const manifest = JSON.parse(await readFile(join(packageDir, "package.json"), "utf8"));
    if (packageName !== name && Object.keys(manifest.dependencies ?? {}).length > 0) {
      // Their imports would need mapping too; none of today's dependencies has any.
      throw new Error(`${packageName} has dependencies of its own: extend the import map.`);
    }
    const target = resolveExports(manifest, subpath);
    if (target === undefined) throw new Error(`${specifier} does not resolve through exports.`);
    imports[specifier] = `/${relative(folder, join(packageDir, target)).split("\\").join("/")}`;
  }
  return { imports };
}

/** @param {string} dir @returns {Promise<string[]>} */
async function javascriptFiles(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && /\.m?js$/.test(entry.name))
    .filter((entry) => !entry.parentPath.includes("node_modules", dir.length))
    .map((entry) => join(entry.parentPath, entry.name));
}

/**
 * `import … from "x"`, `export … from "x"`, `import "x"` and `import("x")`, bare ones only — in
 * the code, not in comments (a doc comment's `@example` may import a package the code does not).
 */
function bareImports(/** @type {string} */ source) {
  const found = [];
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const pattern = /(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"'./][^"']*)["']/g;
  for (const match of code.matchAll(pattern)) {
    const specifier = /** @type {string} */ (match[1]);
    if (!specifier.startsWith("node:")) found.push(specifier);
  }
  return found;
}

/** "jose/jwt/decode" → ["jose", "./jwt/decode"]; "@scope/pkg/x" → ["@scope/pkg", "./x"]. */
function split(/** @type {string} */ specifier) {
  const parts = specifier.split("/");
  const length = specifier.startsWith("@") ? 2 : 1;
  const rest = parts.slice(length).join("/");
  return /** @type {const} */ ([parts.slice(0, length).join("/"), rest === "" ? "." : `./${rest}`]);
}

/**
 * Node's exports algorithm, enough for real packages: exact keys, then the longest `*` pattern;
 * condition objects in key order.
 *
 * @param {{ exports?: unknown, main?: string }} manifest
 * @param {string} subpath
 * @returns {string | undefined}
 */
export function resolveExports(manifest, subpath) {
  let exports = manifest.exports;
  if (exports === undefined) {
    return subpath === "." ? (manifest.main ?? "index.js") : subpath.slice(2);
  }
  const isMap =
    typeof exports === "object" &&
    exports !== null &&
    !Array.isArray(exports) &&
    Object.keys(exports).some((key) => key.startsWith("."));
  if (!isMap) exports = { ".": exports };
  const map = /** @type {Record<string, unknown>} */ (exports);
  if (subpath in map) return target(map[subpath], undefined);
  const patterns = Object.keys(map)
    .filter((key) => key.includes("*"))
    .sort((a, b) => b.indexOf("*") - a.indexOf("*"));
  for (const key of patterns) {
    const [before, after] = /** @type {[string, string]} */ (key.split("*"));
    if (subpath.startsWith(before) && subpath.endsWith(after) && subpath.length >= key.length - 1) {
      return target(map[key], subpath.slice(before.length, subpath.length - after.length));
    }
  }
  return undefined;
}

/**
 * @param {unknown} value
 * @param {string | undefined} star
 * @returns {string | undefined}
 */
function target(value, star) {
  if (typeof value === "string") return star === undefined ? value : value.replaceAll("*", star);
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = target(item, star);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof value === "object" && value !== null) {
    for (const [condition, next] of Object.entries(value)) {
      if (!CONDITIONS.includes(condition)) continue;
      const found = target(next, star);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
