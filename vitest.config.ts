import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { configDefaults, defineConfig } from "vitest/config";
import { EMBEDDED_DEFAULT_SECRETS } from "./scripts/embedded-default.ts";
import { LeakGuardReporter } from "./test/support/leak-reporter.ts";
import { holdBackPlatformLines, PlatformLinesReporter } from "./test/support/platform-lines.ts";

// wrangler, reading wrangler.toml for the Workers plugin, logs "Using secrets defined in
// .dev.vars" once per test file whenever `npm start` has written one (the bindings below replace
// its values anyway). Its info lines only: wrangler's warnings and errors still print, and a
// WRANGLER_LOG of your own wins.
process.env.WRANGLER_LOG ??= "warn";

// workerd's own log lines that three tests provoke on purpose, each named in
// test/support/platform-lines.ts: held back on a green run, printed in full on a red one.
holdBackPlatformLines();

/**
 * oauth4webapi (test/broker/interop.test.ts) publishes a source map whose sources it does not
 * ship, and Vite warns "Sourcemap … points to missing source files" on loading it. Loaded
 * without its map comment, the module is the same code and nothing is looked for.
 */
const oauth4webapiWithoutSourceMap = {
  name: "edgetoken:oauth4webapi-without-source-map",
  enforce: "pre" as const,
  load(id: string): string | undefined {
    if (!id.endsWith("/node_modules/oauth4webapi/build/index.js")) return undefined;
    // node:fs by hand: this tsconfig has the Workers types, not Node's.
    const fs = process.getBuiltinModule("node:fs") as {
      readFileSync(path: string, encoding: "utf8"): string;
    };
    return fs.readFileSync(id, "utf8").replace(/^\/\/# sourceMappingURL=.*$/m, "");
  },
};

export default defineConfig({
  plugins: [
    oauth4webapiWithoutSourceMap,
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      // The embedded default's credentials, which wrangler.toml does not hold (wrangler would
      // print them): the same values `npm start` writes to .dev.vars, whatever a local one says.
      miniflare: { bindings: { ...EMBEDDED_DEFAULT_SECRETS } },
    }),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    // One isolate per test file, chosen: Durable Object and KV state must not leak between
    // files. Said explicitly, vitest does not close each run with its "faster with isolate:
    // false" hint.
    isolate: true,
    // A real authorization server (oidc-provider) in Node, for test/interop/.
    globalSetup: ["./test/interop/oidc-server.mjs"],
    // The broker fuzz's size and seed (test/broker/fuzz.test.ts): FUZZ_RUNS=100000 npm test.
    provide: { fuzz: { runs: process.env.FUZZ_RUNS ?? "", seed: process.env.FUZZ_SEED ?? "" } },
    // Run by Deno from `npm run test:runtimes`, not by vitest in workerd.
    exclude: [...configDefaults.exclude, "test/runtimes/**"],
    // The leak guard: no secret and no issued token in any console line, error or error answer.
    setupFiles: ["./test/support/no-leaks.ts"],
    reporters: ["default", new LeakGuardReporter(), new PlatformLinesReporter()],
  },
});
