// What vitest.config.ts `provide`s to the tests (read with `inject`).
import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** FUZZ_RUNS and FUZZ_SEED from the environment, "" when unset (test/broker/fuzz.test.ts). */
    fuzz: { runs: string; seed: string };
    /** SIMULATE_HOURS, _MODES and _SEED, "" when unset (vitest.simulation.config.ts). */
    simulate: { hours: string; modes: string; seed: string };
  }
}
