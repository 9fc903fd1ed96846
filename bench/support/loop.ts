/** Timing an awaited call in a loop: ns per call, with the count fixed once per contender. */

/** How many calls take about `targetMs` (at least 1,000). */
export async function calibrate(call: () => unknown, targetMs = 150): Promise<number> {
  let count = 1_000;
  for (;;) {
    const ns = await timeLoop(call, count);
    if (ns * count >= targetMs * 1e6 || count >= 10_000_000) {
      return Math.max(1_000, Math.round((targetMs * 1e6) / ns));
    }
    count *= 4;
  }
}

/** ns per awaited call, over `count` calls in a row. */
export async function timeLoop(call: () => unknown, count: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await call();
  return Number(process.hrtime.bigint() - start) / count;
}
