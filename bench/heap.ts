/**
 * Heap per cached source, and the cached `await get()` at 10,000 sources against one source:
 * `npm run bench:heap` (Node 22 strips the types; the script passes `--expose-gc`). Each source
 * has its own provider and a token in memory, as an application holding one source per merchant
 * would. Heap per item is the heap after minus before, over the count, after full GCs, each kind
 * measured in a process of its own so that no other's garbage counts. Not a test: numbers vary
 * by machine and Node version.
 */
import { execFileSync } from "node:child_process";
import { createTokenSource, type Provider, Token, type TokenSource } from "../src/index.ts";

const COUNT = 10_000;
const CALLS = 1_000_000;
const ROUNDS = 7;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with node --expose-gc (npm run bench:heap)");

function provider(i: number): Provider {
  return {
    key: { provider: "bench", environment: "local", credentialId: `merchant-${i}`, scope: "pay" },
    async obtain({ runtime }) {
      const now = runtime.now();
      return new Token({ value: `token-${i}`, obtainedAt: now, expiresAt: now + 3_600_000 });
    },
    apply: (request) => request,
  };
}

const runtime = { fetch, now: Date.now, sleep: async () => {}, random: Math.random };

/** The heap after full GCs, with a turn between them so finalizers (a timer's registry) run. */
async function heap(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return process.memoryUsage().heapUsed;
}

/** What one kind of item costs, counted with everything it keeps alive. */
const KINDS = {
  // What the issue measures: a source with its own provider and its cached token, all counted.
  source: async (i: number) => {
    const source = createTokenSource(provider(i));
    await source.get();
    return source;
  },
  // The same without the source: the provider and its token only.
  providerAndToken: async (i: number) => {
    const p = provider(i);
    return [p, await p.obtain({ runtime })];
  },
  // The token under a key in a Map of its own, as a hand-rolled cache would hold it.
  mapEntry: async (i: number) =>
    new Map([[`bench:merchant-${i}:pay`, await provider(i).obtain({ runtime })]]),
};
type Kind = keyof typeof KINDS;

async function make(kind: Kind): Promise<unknown[]> {
  const kept: unknown[] = [];
  for (let i = 0; i < COUNT; i++) kept.push(await KINDS[kind](i));
  return kept;
}

const only = process.argv.find((arg) => arg.startsWith("--kind="))?.slice(7) as Kind | undefined;
if (only !== undefined) {
  // A warm-up (compiled code, the heap's own tables), in a frame of its own so that nothing of
  // it is still held when the count starts.
  await (async (): Promise<void> => {
    (await make(only)).length = 0;
  })();
  const start = await heap();
  const kept = await make(only);
  // What a get() leaves behind for a while (its deadline's timer, 10 s) is not what a source holds.
  await new Promise((resolve) => setTimeout(resolve, 11_000));
  const bytes = Math.round(((await heap()) - start) / COUNT);
  void kept.length;
  console.log(bytes);
  process.exit(0);
}

const measured = (kind: Kind): number =>
  Number(
    execFileSync(process.execPath, [...process.execArgv, import.meta.filename, `--kind=${kind}`], {
      encoding: "utf8",
    }).trim(),
  );
const heapPerSourceBytes = measured("source");
const providerAndTokenBytes = measured("providerAndToken");
const mapEntryBytes = measured("mapEntry");

/** Medians in ns per call of each body, run in interleaved rounds so that load on the machine falls on both. */
async function interleaved(bodies: (() => Promise<void>)[]): Promise<number[]> {
  const samples: number[][] = bodies.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, body] of bodies.entries()) {
      const start = performance.now();
      await body();
      samples[i]?.push(((performance.now() - start) * 1e6) / CALLS);
    }
  }
  return samples.map((list) => list.sort((x, y) => x - y)[Math.floor(ROUNDS / 2)] as number);
}

const sources = (await make("source")) as TokenSource[];
// Both loops walk an array of COUNT entries: one source COUNT times, or COUNT sources.
const same = sources.map(() => sources[0] as TokenSource);
let sink: unknown;
const loop = (list: TokenSource[]) => async (): Promise<void> => {
  for (let i = 0; i < CALLS; i++) sink = await (list[i % COUNT] as TokenSource).get();
};
const [hotPath1Ns = 0, hotPath10kNs = 0] = await interleaved([loop(same), loop(sources)]);
void sink;

const scale = { hotPath1Ns, hotPath10kNs, heapPerSourceBytes };
console.log(
  `${navigator.userAgent}, ${COUNT} sources, ${CALLS} calls x ${ROUNDS} interleaved rounds, medians`,
);
console.log(
  `heap per cached source    ${heapPerSourceBytes} B (its provider and token alone: ${providerAndTokenBytes} B; the token in a Map: ${mapEntryBytes} B)`,
);
console.log(`await get(), 1 source     ${hotPath1Ns.toFixed(1)} ns`);
console.log(
  `await get(), 10k sources  ${hotPath10kNs.toFixed(1)} ns (${(hotPath10kNs / hotPath1Ns).toFixed(2)}x one source)`,
);
console.log(JSON.stringify({ scale }));
