// `npm test` runs this: every code block in README.md and docs/ marked as coming from a file —
// a line `<!-- example: examples/node/backend.mjs -->` right above the block — must be that
// file, byte for byte, so a snippet cannot drift from the example CI type-checks and runs.
// `node scripts/check-examples.mjs --write` copies the files into their blocks instead.
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const MARKER = /^<!-- example: (\S+) -->$/;

/** @param {string} folder @returns {Promise<string[]>} */
async function markdownUnder(folder) {
  const entries = await readdir(folder, { withFileTypes: true });
  const found = await Promise.all(
    entries.map((entry) => {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) return markdownUnder(path);
      return Promise.resolve(entry.name.endsWith(".md") ? [path] : []);
    }),
  );
  return found.flat();
}

/**
 * The page with every marked block set to its file, and what differed.
 *
 * @param {string} page the page's path, for messages
 * @param {string} text
 * @returns {Promise<{ text: string, problems: string[], blocks: number }>}
 */
export async function syncPage(page, text) {
  const lines = text.split("\n");
  const problems = [];
  let blocks = 0;
  for (let i = 0; i < lines.length; i++) {
    const marker = MARKER.exec(lines[i] ?? "");
    if (marker === null) continue;
    const where = `${page}:${i + 1}`;
    const source = marker[1] ?? "";
    const open = lines[i + 1] ?? "";
    if (!open.startsWith("```")) {
      problems.push(`${where}: the marker for ${source} is not followed by a code block`);
      continue;
    }
    const close = lines.findIndex((line, index) => index > i + 1 && line === "```");
    if (close < 0) {
      problems.push(`${where}: the code block from ${source} is not closed`);
      continue;
    }
    let file;
    try {
      file = (await readFile(join(root, source), "utf8")).replace(/\n$/, "");
    } catch {
      problems.push(`${where}: ${source} does not exist`);
      continue;
    }
    blocks += 1;
    const block = lines.slice(i + 2, close).join("\n");
    if (block !== file) {
      const at = firstDifference(block.split("\n"), file.split("\n"));
      problems.push(`${where}: the block differs from ${source} (first at its line ${at})`);
      lines.splice(i + 2, close - (i + 2), ...file.split("\n"));
    }
  }
  return { text: lines.join("\n"), problems, blocks };
}

/** @param {string[]} a @param {string[]} b */
function firstDifference(a, b) {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i + 1;
  return length;
}

async function main() {
  const write = process.argv.includes("--write");
  const pages = [join(root, "README.md"), ...(await markdownUnder(join(root, "docs")))];
  const problems = [];
  let blocks = 0;
  for (const path of pages) {
    const page = relative(root, path);
    const text = await readFile(path, "utf8");
    const synced = await syncPage(page, text);
    blocks += synced.blocks;
    problems.push(...synced.problems);
    if (write && synced.text !== text) await writeFile(path, synced.text);
  }
  if (problems.length === 0) {
    console.log(`examples: ${blocks} code blocks match their files`);
    return 0;
  }
  for (const problem of problems) console.error(problem);
  if (write) return problems.some((problem) => !problem.includes("differs")) ? 1 : 0;
  console.error("run `node scripts/check-examples.mjs --write` to copy the files into them");
  return 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = await main();
