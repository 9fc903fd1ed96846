/**
 * The code as it was at another commit, beside the current code in the same run: `BENCH_BASELINE`
 * names the commit (e.g. `main`), and its src/, worker/ and scripts/ are extracted with
 * `git archive` under bench/.baseline/ (git-ignored; inside the checkout, so node_modules
 * resolves). Before/after figures then come from the same interleaved rounds, on the same load.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "..", "..");

/**
 * Where the baseline's files are, or `undefined` when no baseline was asked for.
 * `BENCH_BASELINE_DIR` names a folder with src/, worker/ and scripts/ instead (an experiment).
 */
export function baselineRoot(): string | undefined {
  const folder = process.env.BENCH_BASELINE_DIR;
  if (folder !== undefined && folder !== "") return resolve(folder);
  const commit = process.env.BENCH_BASELINE;
  if (commit === undefined || commit === "") return undefined;
  const id = execFileSync("git", ["rev-parse", "--short=12", `${commit}^{commit}`], {
    cwd: ROOT,
    encoding: "utf8",
  }).trim();
  const dir = join(ROOT, "bench", ".baseline", id);
  if (!existsSync(join(dir, "worker", "index.ts"))) {
    mkdirSync(dir, { recursive: true });
    const archive = execFileSync("git", ["archive", id, "src", "worker", "scripts"], {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
    });
    execFileSync("tar", ["-x", "-C", dir], { input: archive });
  }
  return dir;
}

/** The baseline's commit, short, for the report. */
export function baselineName(): string | undefined {
  const folder = process.env.BENCH_BASELINE_DIR;
  if (folder !== undefined && folder !== "") return folder;
  const commit = process.env.BENCH_BASELINE;
  if (commit === undefined || commit === "") return undefined;
  return execFileSync("git", ["rev-parse", "--short=12", `${commit}^{commit}`], {
    cwd: ROOT,
    encoding: "utf8",
  }).trim();
}
