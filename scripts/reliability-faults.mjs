// `node scripts/reliability-faults.mjs`: writes the fault matrix and the KV faults tables of
// docs/reliability/faults.md from the rows the tests run (test/support/fault-matrix.ts and
// kv-faults.ts), between the page's `<!-- generated:… -->` markers, and formats the page with
// Biome. `--print` prints the tables instead. Tests check the page against the same rows.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { faultMatrixMarkdown } from "../test/support/fault-matrix.ts";
import { kvFaultsMarkdown } from "../test/support/kv-faults.ts";

const PAGE = new URL("../docs/reliability/faults.md", import.meta.url);
const sections = { "fault-matrix": faultMatrixMarkdown(), "kv-faults": kvFaultsMarkdown() };

if (process.argv.includes("--print")) {
  for (const table of Object.values(sections)) console.log(`${table}\n`);
} else {
  let page = readFileSync(PAGE, "utf8");
  for (const [name, table] of Object.entries(sections)) {
    const start = `<!-- generated:${name} -->`;
    const end = `<!-- /generated:${name} -->`;
    const from = page.indexOf(start);
    const to = page.indexOf(end);
    if (from === -1 || to < from) throw new Error(`${PAGE.pathname} has no ${start} … ${end}`);
    page = `${page.slice(0, from + start.length)}\n\n${table}\n\n${page.slice(to)}`;
  }
  writeFileSync(PAGE, page);
  execFileSync("npx", ["biome", "format", "--write", PAGE.pathname], { stdio: "inherit" });
}
