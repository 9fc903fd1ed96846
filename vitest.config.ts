import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { configDefaults, defineConfig } from "vitest/config";
import { EMBEDDED_DEFAULT_SECRETS } from "./scripts/embedded-default.ts";
import { LeakGuardReporter } from "./test/support/leak-reporter.ts";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      // The embedded default's credentials, which wrangler.toml does not hold (wrangler would
      // print them): the same values `npm start` writes to .dev.vars, whatever a local one says.
      miniflare: { bindings: { ...EMBEDDED_DEFAULT_SECRETS } },
    }),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    // A real authorization server (oidc-provider) in Node, for test/interop/.
    globalSetup: ["./test/interop/oidc-server.mjs"],
    // The broker fuzz's size and seed (test/broker/fuzz.test.ts): FUZZ_RUNS=100000 npm test.
    provide: { fuzz: { runs: process.env.FUZZ_RUNS ?? "", seed: process.env.FUZZ_SEED ?? "" } },
    // Run by Deno from `npm run test:runtimes`, not by vitest in workerd.
    exclude: [...configDefaults.exclude, "test/runtimes/**"],
    // The leak guard: no secret and no issued token in any console line, error or error answer.
    setupFiles: ["./test/support/no-leaks.ts"],
    reporters: ["default", new LeakGuardReporter()],
  },
});
