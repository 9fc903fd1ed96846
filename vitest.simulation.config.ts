import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** `npm run simulate`: the fleet simulation, apart from `npm test` (it takes minutes). */
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
    }),
  ],
  test: {
    include: ["test/simulation/**/*.sim.ts"],
    testTimeout: 30 * 60_000,
  },
});
