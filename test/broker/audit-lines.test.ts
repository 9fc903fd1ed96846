/**
 * Audit lines under load (`worker/audit-lines.ts`): written at once when the isolate is quiet,
 * grouped into one `console.log` call per window when it is busy — in order, none lost, each
 * waiting line held by its own request's `waitUntil`.
 */
import { describe, expect, it } from "vitest";
import {
  BUSY_LINES,
  createLineWriter,
  LINE_WINDOW_MS,
  type LineSink,
} from "../../worker/audit-lines.ts";

function fakeSink() {
  const calls: string[] = [];
  const timers: Array<{ at: number; done: () => void }> = [];
  let time = 1_000;
  const sink: LineSink = {
    log: (text) => calls.push(text),
    now: () => time,
    wait: (ms) =>
      new Promise<void>((done) => {
        timers.push({ at: time + ms, done });
      }),
  };
  return {
    sink,
    calls,
    /** Moves time on and fires the timers that are due, in order. */
    async advance(ms: number) {
      time += ms;
      timers.sort((a, b) => a.at - b.at);
      while (timers[0] !== undefined && timers[0].at <= time) timers.shift()?.done();
      await Promise.resolve();
      await Promise.resolve();
    },
  };
}

function context() {
  const held: Promise<unknown>[] = [];
  return { held, ctx: { waitUntil: (promise: Promise<unknown>) => void held.push(promise) } };
}

describe("audit lines", () => {
  /** The lines an isolate writes at once before it counts as busy. */
  const quiet = Array.from({ length: BUSY_LINES - 1 }, (_, i) => `q${i}`);

  it("an isolate writing fewer lines than a busy one writes each at once, without holding the request", () => {
    const { sink, calls } = fakeSink();
    const lines = createLineWriter(sink);
    const { held, ctx } = context();
    for (const line of quiet) lines.write(line, ctx);
    expect(calls).toEqual(quiet);
    expect(held).toEqual([]);
  });

  it("a busy isolate groups the lines of one window into one call, in order, each request held until its line is out", async () => {
    const fake = fakeSink();
    const lines = createLineWriter(fake.sink);
    for (const line of quiet) lines.write(line, context().ctx);
    const waiting = [context(), context(), context()];
    lines.write("a", waiting[0]?.ctx);
    await fake.advance(5);
    lines.write("b", waiting[1]?.ctx);
    lines.write("c", waiting[2]?.ctx);
    expect(fake.calls).toEqual(quiet);
    for (const { held } of waiting) expect(held).toHaveLength(1);
    await fake.advance(LINE_WINDOW_MS - 5);
    await Promise.all(waiting.flatMap(({ held }) => held));
    expect(fake.calls).toEqual([...quiet, "a\nb\nc"]);
    // After a quiet window, at once again.
    await fake.advance(LINE_WINDOW_MS);
    const after = context();
    lines.write("d", after.ctx);
    expect(fake.calls).toEqual([...quiet, "a\nb\nc", "d"]);
    expect(after.held).toEqual([]);
  });

  it("a line without a request context goes out at once, after the lines waiting before it", async () => {
    const fake = fakeSink();
    const lines = createLineWriter(fake.sink);
    for (const line of quiet) lines.write(line, context().ctx);
    lines.write("a", context().ctx);
    lines.write("b");
    expect(fake.calls).toEqual([...quiet, "a", "b"]);
    await fake.advance(LINE_WINDOW_MS);
    expect(fake.calls).toEqual([...quiet, "a", "b"]);
  });

  it("never waits longer than the window, and not at all after the clock went back", async () => {
    const fake = fakeSink();
    const lines = createLineWriter(fake.sink);
    for (const line of quiet) lines.write(line, context().ctx);
    const first = context();
    lines.write("a", first.ctx);
    await fake.advance(LINE_WINDOW_MS);
    await Promise.all(first.held);
    expect(fake.calls).toEqual([...quiet, "a"]);
    await fake.advance(-60_000);
    const { held, ctx } = context();
    lines.write("b", ctx);
    expect(fake.calls).toEqual([...quiet, "a", "b"]);
    expect(held).toEqual([]);
  });
});
