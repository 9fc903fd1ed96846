import { describe, expect, it } from "vitest";
import { resolveRuntime } from "../../src/index.ts";

describe("the default sleep", () => {
  const { sleep } = resolveRuntime();

  it("waits about the time asked", async () => {
    const started = Date.now();
    await sleep(30);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });

  it("rejects with the signal's reason when it fires first, long before the time", async () => {
    const controller = new AbortController();
    const reason = new Error("stop");
    const started = Date.now();
    const slept = sleep(10_000, controller.signal);
    setTimeout(() => controller.abort(reason), 10);
    await expect(slept).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("rejects at once for a signal that already fired", async () => {
    const reason = new Error("already");
    await expect(sleep(10_000, AbortSignal.abort(reason))).rejects.toBe(reason);
  });

  it("resolves when the signal never fires", async () => {
    await expect(sleep(5, new AbortController().signal)).resolves.toBeUndefined();
  });
});
