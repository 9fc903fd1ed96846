// The API reference in docs/api/, generated from the TSDoc of every entry in package.json's
// `exports` (its `types` file, mapped back to the source under src/) by typedoc with
// typedoc-plugin-markdown. `npm run docs:api` writes it; `--check` (run by `npm test`)
// generates it again into a scratch folder and fails, naming the files, when docs/api differs.
//
// typedoc needs TypeScript's JavaScript compiler API, which TypeScript 7 (the project's `tsc`,
// native) does not have: its `import "typescript"` is pointed at the `typescript5` devDependency
// (typescript@5.9), for typedoc alone. package.json's `overrides` lets typedoc's peer range accept
// the project's TypeScript so npm installs it; the hook below is what it really runs on.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import * as nodeModule from "node:module";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

if (typeof nodeModule.registerHooks !== "function") {
  console.error(
    `api docs: needs Node 22.15 or later (this is ${process.version}); \`npm run docs:api\` brings its own.`,
  );
  process.exit(1);
}
nodeModule.registerHooks({
  resolve(specifier, context, nextResolve) {
    if (
      specifier === "typescript" &&
      /\/node_modules\/typedoc[^/]*\//.test(context.parentURL ?? "")
    ) {
      return nextResolve("typescript5", context);
    }
    return nextResolve(specifier, context);
  },
});

const { Application, Converter, TSConfigReader } = await import("typedoc");

const root = fileURLToPath(new URL("..", import.meta.url));
const OUT = join(root, "docs/api");
const check = process.argv.includes("--check");

/**
 * Every export's source (`./dist/x/index.d.ts` → `src/x/index.ts`; `./package.json` left out),
 * with the name a user imports it by (`edgetoken/x`).
 */
function exported() {
  const { exports } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const entries = [];
  for (const [name, target] of Object.entries(exports)) {
    const types = typeof target === "string" ? target : target?.types;
    if (typeof types !== "string" || !types.endsWith(".d.ts")) continue;
    const source = types.replace(/^\.\/dist\//, "src/").replace(/\.d\.ts$/, ".ts");
    if (!existsSync(join(root, source))) {
      throw new Error(`package.json exports["${name}"]: no source at ${source} for ${types}`);
    }
    entries.push({ source, name: `edgetoken${name.slice(1)}` });
  }
  return entries;
}

const entryPoints = () => exported().map((entry) => entry.source);

/** typedoc names a module by its path (`broker`, `emulator` for emulator/index): the import name. */
function importNames() {
  const names = new Map();
  for (const { source, name } of exported()) {
    names.set(source.replace(/^src\//, "").replace(/(?:\/index)?\.ts$/, ""), name);
  }
  return names;
}

async function generate(out) {
  const app = await Application.bootstrapWithPlugins(
    {
      entryPoints: entryPoints(),
      tsconfig: join(root, "tsconfig.json"),
      plugin: ["typedoc-plugin-markdown"],
      out,
      readme: "none",
      // Module names as a user imports them: edgetoken, edgetoken/broker, …
      name: "edgetoken",
      // No source links: they carry a commit or line numbers, and would go stale with any edit.
      disableSources: true,
      excludePrivate: true,
      excludeInternal: true,
      hideGenerator: true,
      hidePageHeader: true,
      hideBreadcrumbs: true,
      useCodeBlocks: true,
      sort: ["source-order"],
      sortEntryPoints: false,
      logLevel: "Warn",
      // The reference is of what is public and documented: a missing export is a warning.
      treatWarningsAsErrors: true,
    },
    [new TSConfigReader()],
  );
  const names = importNames();
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.children ?? []) {
      module.name = names.get(module.name) ?? module.name;
    }
  });
  const project = await app.convert();
  if (project === undefined) throw new Error("typedoc could not convert the sources");
  await app.generateOutputs(project);
}

/** Every file under a folder, relative to it, with its bytes. */
function files(folder) {
  const found = new Map();
  if (!existsSync(folder)) return found;
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    found.set(relative(folder, path), readFileSync(path));
  }
  return found;
}

if (!check) {
  rmSync(OUT, { recursive: true, force: true });
  await generate(OUT);
  console.log(
    `api docs: wrote ${files(OUT).size} files to docs/api/ from ${entryPoints().join(", ")}`,
  );
} else {
  const scratch = mkdtempSync(join(tmpdir(), "edgetoken-api-"));
  try {
    await generate(scratch);
    const fresh = files(scratch);
    const committed = files(OUT);
    const stale = [...new Set([...fresh.keys(), ...committed.keys()])]
      .filter(
        (name) =>
          !fresh.get(name)?.equals(committed.get(name) ?? Buffer.alloc(0)) || !committed.has(name),
      )
      .sort();
    if (stale.length > 0) {
      console.error(
        `api docs: docs/api/ is stale (${stale.slice(0, 5).join(", ")}${stale.length > 5 ? `, and ${stale.length - 5} more` : ""}): run \`npm run docs:api\` and commit the result.`,
      );
      process.exitCode = 1;
    } else {
      console.log(`api docs: docs/api/ is up to date (${fresh.size} files)`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
