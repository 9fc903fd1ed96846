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
    testTimeout: 60 * 60_000,
    // Simulated hours per run (default 24), which modes (default all) and the seed (default 7),
    // while working on the lease: SIMULATE_HOURS=6 SIMULATE_MODES=lease,kv-only SIMULATE_SEED=3
    // npm run simulate.
    provide: {
      simulate: {
        hours: process.env.SIMULATE_HOURS ?? "",
        modes: process.env.SIMULATE_MODES ?? "",
        seed: process.env.SIMULATE_SEED ?? "",
      },
    },
  },
});
