/**
 * Where the core's bytes go, and what a smaller feature set would weigh: the core (token source,
 * iPOSpays, memory store; min+gz as bench/sizes.ts measures it) bundled again with one feature
 * taken out at a time, then with several, then with every string literal emptied — a floor no
 * edit that keeps the code can go under. Each cut replaces source text at build time (an esbuild
 * plugin; src/ is not touched), and fails loudly when the text it cuts is no longer there.
 *
 * `npm run bench:size-profile` prints the table and writes bench/size-profile.json.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build, type Plugin } from "esbuild";
import { ROOT } from "./support/baseline.ts";

const ENTRY = `export { createTokenSource, ipospays, createMemoryStore } from ${JSON.stringify(join(ROOT, "src", "index.ts"))};`;

/** A file's text as a cut leaves it. */
type Cut = Record<string, (text: string) => string>;

function between(text: string, from: string, to: string, put: string): string {
  const start = text.indexOf(from);
  const end = text.indexOf(to, start);
  if (start < 0 || end < 0) throw new Error(`size-profile: the cut's markers are gone: ${from}`);
  return text.slice(0, start) + put + text.slice(end);
}

function whole(put: string): (text: string) => string {
  return () => put;
}

/** Each feature the core carries that a smaller product could leave out, as a cut. */
const FEATURES: Record<string, Cut> = {
  "request policy (timeout, retries, backoff, Retry-After, size cap)": {
    "src/request.ts": whole(
      "export const retryAfterMs=()=>undefined;export async function sendRequest(b,r){const response=await r.fetch(b());return{response,body:await response.text(),sentAt:r.now(),receivedAt:r.now()}}",
    ),
  },
  "source.fetch (attach, verdict, one renewal, replay)": {
    "src/authenticated-fetch.ts": whole("export const authenticatedFetch=()=>{throw 0};"),
  },
  "the lease (wait, poll, stale read, settle)": {
    "src/shared-token.ts": (text) =>
      between(
        text,
        "    const lease = this.#settings.lease;\n    if (lease === undefined)",
        "  #key(): Promise<string> {",
        '    return this.#obtainAndStore(key, newer, signal, "own");\n  }\n\n',
      ),
  },
  'option names checked, with a "did you mean"': {
    "src/option-names.ts": whole(
      "export const checkOptionNames=()=>{};export const namesOf=()=>undefined;",
    ),
  },
  "iPOSpays' error table": {
    "src/providers/ipospays.ts": (text) =>
      between(
        text,
        "const ERRORS: Record<string, [EdgeTokenErrorCode, string]> = {",
        "\n};\n",
        "const ERRORS: Record<string, [EdgeTokenErrorCode, string]> = {",
      ),
  },
};

function cutsPlugin(cuts: Cut): Plugin {
  return {
    name: "size-profile-cuts",
    setup(builder) {
      const unmade = new Set(Object.keys(cuts));
      builder.onLoad({ filter: /\.ts$/ }, (args) => {
        const name = args.path.slice(ROOT.length + 1);
        const cut = cuts[name];
        if (cut === undefined) return undefined;
        unmade.delete(name);
        return { contents: cut(readFileSync(args.path, "utf8")), loader: "ts" };
      });
      // A file renamed or no longer in the core would be a cut that saves nothing, quietly.
      builder.onEnd(() => {
        if (unmade.size > 0) throw new Error(`size-profile: not in the core: ${[...unmade]}`);
      });
    },
  };
}

/** Empties every string and template literal of minified code (not runnable: a size floor). */
function withoutStrings(code: string): string {
  return code.replace(/"(?:[^"\\]|\\.)*"|`(?:[^`\\]|\\.)*`/g, '""');
}

async function gzipped(cuts: Cut, strings = true): Promise<number> {
  const result = await build({
    stdin: { contents: ENTRY, resolveDir: ROOT, loader: "ts" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "neutral",
    write: false,
    logLevel: "silent",
    plugins: [cutsPlugin(cuts)],
  });
  const code = new TextDecoder().decode(result.outputFiles[0]?.contents);
  return gzipSync(strings ? code : withoutStrings(code), { level: 9 }).length;
}

const core = await gzipped({});
const rows: Array<[string, number]> = [["the core as it is", core]];
for (const [name, cut] of Object.entries(FEATURES)) {
  rows.push([`without ${name}`, await gzipped(cut)]);
}
const all = Object.assign({}, ...Object.values(FEATURES)) as Cut;
rows.push(["without all five", await gzipped(all)]);
rows.push(["the core with every string emptied", await gzipped({}, false)]);
rows.push(["without all five, every string emptied", await gzipped(all, false)]);

const width = Math.max(...rows.map(([name]) => name.length));
console.log(`${"core (source, iPOSpays, memory store)".padEnd(width)}  min+gz   saves`);
for (const [name, bytes] of rows) {
  console.log(
    `${name.padEnd(width)}  ${String(bytes).padStart(6)}  ${String(core - bytes).padStart(6)}`,
  );
}
writeFileSync(
  join(ROOT, "bench", "size-profile.json"),
  `${JSON.stringify(Object.fromEntries(rows), null, 2)}\n`,
);
