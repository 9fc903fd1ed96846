import * as v from "valibot";
import type { RequestPolicy } from "../request.ts";

const duration: v.GenericSchema<number | undefined> = v.optional(
  v.pipe(v.number(), v.finite(), v.minValue(0)),
);

/** A {@link RequestPolicy} given in provider options, checked like every other option. */
export const RequestPolicySchema: v.GenericSchema<RequestPolicy> = v.object({
  timeoutMs: duration,
  retries: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(10))),
  backoff: v.optional(v.object({ baseMs: duration, maxMs: duration })),
  maxRetryAfterMs: duration,
  maxResponseBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
});
