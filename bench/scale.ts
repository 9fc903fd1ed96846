/**
 * The cached path at scale, and what a cached source holds: `await source.get()` over one source
 * and over 10,000 (an application with a source per merchant), and the heap per cached source —
 * its provider and token included — as the heap after minus before, over 10,000, after full GCs.
 * Run with `node --expose-gc bench/scale.ts` (bench/all.ts does; it runs bench/heap.ts instead
 * when that exists). A simple stand-in: the scale figures of issue 14, nothing more.
 */
import { createTokenSource, type Provider, Token, type TokenSource } from "../src/index.ts";
import { median } from "./support/rounds.ts";

const COUNT = 10_000;
const CALLS = 1_000_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with node --expose-gc");

export interface ScaleResult {
  hotPath1Ns: number;
  hotPath10kNs: number;
  heapPerSourceBytes: number;
}

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

async function heapUsed(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return process.memoryUsage().heapUsed;
}

async function sources(count: number): Promise<TokenSource[]> {
  const made: TokenSource[] = [];
  for (let i = 0; i < count; i++) {
    const source = createTokenSource(provider(i));
    await source.get();
    made.push(source);
  }
  return made;
}

export async function scaleBench(): Promise<ScaleResult> {
  // Warm-up: compiled code and the heap's own tables are not what a source holds.
  (await sources(COUNT)).length = 0;
  const before = await heapUsed();
  const all = await sources(COUNT);
  // What a get() leaves for a while (its deadline's timer) is not what a source holds either.
  await new Promise((resolve) => setTimeout(resolve, 11_000));
  const heapPerSourceBytes = Math.round(((await heapUsed()) - before) / COUNT);
  const one = all.map(() => all[0] as TokenSource);
  let sink: unknown;
  const loop = (list: TokenSource[]) => async () => {
    const start = performance.now();
    for (let i = 0; i < CALLS; i++) sink = await (list[i % COUNT] as TokenSource).get();
    return ((performance.now() - start) * 1e6) / CALLS;
  };
  const samples: { one: number[]; all: number[] } = { one: [], all: [] };
  for (let round = 0; round < ROUNDS; round++) {
    samples.one.push(await loop(one)());
    samples.all.push(await loop(all)());
  }
  void sink;
  return {
    hotPath1Ns: median(samples.one),
    hotPath10kNs: median(samples.all),
    heapPerSourceBytes,
  };
}

if (import.meta.main) console.log(JSON.stringify({ scale: await scaleBench() }));
