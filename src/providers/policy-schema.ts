import * as v from "valibot";
import type { RequestPolicy } from "../request.ts";

/**
 * A number that `requirement` holds for; an error names it as `expected` says (the value itself
 * is never shown). One check per option rather than a chain of actions: the same rule, fewer
 * bytes shipped.
 */
export const checkedNumber = (
  requirement: (value: number) => boolean,
  expected: string,
): v.GenericSchema<number> => v.pipe(v.number(), v.check(requirement, expected));

const duration = v.optional(checkedNumber((n) => n >= 0 && n < Infinity, "a finite number ≥ 0"));

/** A {@link RequestPolicy} given in provider options, checked like every other option. */
export const RequestPolicySchema: v.GenericSchema<RequestPolicy> = v.object({
  timeoutMs: duration,
  retries: v.optional(checkedNumber((n) => Number.isInteger(n) && n >= 0 && n <= 10, "0 to 10")),
  backoff: v.optional(v.object({ baseMs: duration, maxMs: duration })),
  maxRetryAfterMs: duration,
  maxResponseBytes: v.optional(
    checkedNumber((n) => Number.isInteger(n) && n >= 1, "an integer ≥ 1"),
  ),
});
