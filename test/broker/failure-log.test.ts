/**
 * One `provider_token_failed` line per provider per minute, also when the refused requests finish
 * in another order than they arrived (each carries its own arrival time).
 */
import { describe, expect, it, vi } from "vitest";
import { createFailureLog } from "../../worker/upstream/failure-log.ts";

describe("the provider failure log", () => {
  it("counts a request that arrived before the line was written into that line's minute", () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const log = createFailureLog();
    const line = { provider: "papaya", code: "upstream_unavailable" };
    log.record(line, 10_000);
    log.record(line, 9_900); // arrived earlier, failed later
    log.record(line, 10_050);
    expect(error).toHaveBeenCalledTimes(1);
    log.record(line, 70_000);
    expect(error).toHaveBeenCalledTimes(2);
    expect(JSON.parse(String(error.mock.calls[1]?.[0]))).toMatchObject({ count: 3 });
    error.mockRestore();
  });
});
