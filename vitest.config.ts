import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
    }),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    // Run by Deno from `npm run test:runtimes`, not by vitest in workerd.
    exclude: [...configDefaults.exclude, "test/runtimes/**"],
  },
});
