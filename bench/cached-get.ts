/**
 * The cached get() path, in ns/op, beside a plain Map lookup in the same run.
 * Run: `npm run bench` (Node 22 strips the types). Not a test: numbers vary by machine.
 */
import { createTokenSource, type Provider, Token } from "../src/index.ts";

const ROUNDS = 7;
const N = 1_000_000;

const provider: Provider = {
  key: { provider: "bench", environment: "local", credentialId: "bench", scope: "payments" },
  async obtain({ runtime }) {
    const now = runtime.now();
    return new Token({ value: "bench-token", obtainedAt: now, expiresAt: now + 3_600_000 });
  },
  apply: (request) => request,
};

const source = createTokenSource(provider);
await source.get();
const map = new Map([["bench:payments", new Token({ value: "v", obtainedAt: 0, expiresAt: 1 })]]);

async function measure(name: string, body: () => Promise<void>): Promise<[string, number]> {
  const samples: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    await body();
    samples.push(((performance.now() - start) * 1e6) / N);
  }
  samples.sort((a, b) => a - b);
  return [name, samples[Math.floor(ROUNDS / 2)] as number];
}

let sink: unknown;
const results = [
  await measure("Map.get (sync)", async () => {
    for (let i = 0; i < N; i++) sink = map.get("bench:payments");
  }),
  await measure("await Map.get", async () => {
    for (let i = 0; i < N; i++) sink = await map.get("bench:payments");
  }),
  await measure("source.get() (promise)", async () => {
    for (let i = 0; i < N; i++) sink = source.get();
  }),
  await measure("await source.get()", async () => {
    for (let i = 0; i < N; i++) sink = await source.get();
  }),
];
void sink;

console.log(`${navigator.userAgent}, ${N} ops x ${ROUNDS} rounds, median ns/op`);
for (const [name, ns] of results) console.log(`${name.padEnd(26)} ${ns.toFixed(1)} ns/op`);
