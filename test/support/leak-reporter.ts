/**
 * Adds up what the leak guard (`no-leaks.ts`) scanned in each test file and prints it once, at
 * the end of the run: the figure docs/reliability/attacks.md quotes. Runs in Node, in vitest's
 * main process.
 */
import type { Reporter, TestModule } from "vitest/node";

export class LeakGuardReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let scanned = 0;
    let files = 0;
    for (const module of testModules) {
      const count = module.meta().leakGuardScanned;
      if (typeof count !== "number") continue;
      scanned += count;
      files++;
    }
    console.log(`leak guard: ${scanned} texts scanned in ${files} test files`);
  }
}
