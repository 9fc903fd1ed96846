import * as v from "valibot";

/**
 * The three emulated providers, as faults name them.
 *
 * @example
 * const provider: ProviderName = "paymentsgate";
 */
export type ProviderName = "ipospays" | "paymentsgate" | "papaya";

/**
 * Which endpoint of a provider a fault targets: `token` = generate, issue or obtain; `refresh`;
 * `api` = the provider's protected endpoint.
 *
 * @example
 * emulator.addFault({ endpoint: "refresh", kind: "status", status: 502 });
 */
export type EndpointKind = "token" | "refresh" | "api";

/**
 * A misbehaviour the emulator puts on matching requests, for tests of what a client does when a
 * provider is slow, down, rate limiting, lying or out of sync. A fault applies to requests of
 * its `provider` and `endpoint` (all when left out), to `count` of them (unlimited when left
 * out), and only where its kind means something: `expired_tokens` on endpoints that issue
 * tokens, `refresh_required` on the iPOSpays Transact endpoint.
 *
 * - `latency`: waits `ms` real milliseconds first (the request's abort signal cuts it short).
 * - `status`: answers `status` (400–599) with a short text body.
 * - `rate_limit`: answers 429 with `Retry-After: <retryAfter seconds>`.
 * - `malformed`: answers valid JSON of the wrong shape with the success status.
 * - `non_json`: answers an HTML page with HTTP 200.
 * - `error_200`: answers the provider's own error body under HTTP 200: the error the request
 *   earned, or for a request that would have succeeded, the endpoint's usual refusal
 *   (iPOSpays AUTH_ERR_004 on generate, AUTH_ERR_006 on refresh and Transact).
 * - `expired_tokens`: issues tokens whose `exp` is already past.
 * - `skew`: the provider's clock runs `ms` ahead (behind when negative): its `Date` header, the
 *   tokens' `iat`/`exp`/`valid_until`, and its expiry checks.
 * - `refresh_required`: iPOSpays Transact succeeds with `AuthenticationRefreshRequired: true`.
 *
 * Several faults can match one request: every matching `latency` adds up; the first matching
 * `skew`, and the first matching answer-replacing fault (`status`, `rate_limit`, `malformed`,
 * `non_json`, `error_200`) in the order added, apply. A fault's `count` goes down only when it
 * actually changed a response.
 *
 * @example
 * emulator.addFault({ provider: "ipospays", endpoint: "token", kind: "status", status: 503, count: 2 });
 */
export type Fault = {
  provider?: ProviderName;
  endpoint?: EndpointKind;
  count?: number;
} & (
  | { kind: "latency"; ms: number }
  | { kind: "status"; status: number }
  | { kind: "rate_limit"; retryAfter: number }
  | { kind: "malformed" }
  | { kind: "non_json" }
  | { kind: "error_200" }
  | { kind: "expired_tokens" }
  | { kind: "skew"; ms: number }
  | { kind: "refresh_required" }
);

/** Every fault kind. */
export type FaultKind = Fault["kind"];

/** Bounds keep every date the emulator prints valid: ±10 years of skew, 10 minutes of latency. */
const MAX_SKEW_MS = 10 * 365 * 86_400_000;
const MAX_LATENCY_MS = 600_000;

const common = {
  provider: v.exactOptional(v.picklist(["ipospays", "paymentsgate", "papaya"])),
  endpoint: v.exactOptional(v.picklist(["token", "refresh", "api"])),
  count: v.exactOptional(v.pipe(v.number(), v.safeInteger(), v.minValue(1))),
};

/** The schema of a {@link Fault}, for `addFault` and `POST /_emulator/faults`. */
export const FaultSchema: v.GenericSchema<unknown, Fault> = v.variant("kind", [
  v.strictObject({
    ...common,
    kind: v.literal("latency"),
    ms: v.pipe(v.number(), v.minValue(0), v.maxValue(MAX_LATENCY_MS)),
  }),
  v.strictObject({
    ...common,
    kind: v.literal("status"),
    status: v.pipe(v.number(), v.integer(), v.minValue(400), v.maxValue(599)),
  }),
  v.strictObject({
    ...common,
    kind: v.literal("rate_limit"),
    retryAfter: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  }),
  v.strictObject({ ...common, kind: v.literal("malformed") }),
  v.strictObject({ ...common, kind: v.literal("non_json") }),
  v.strictObject({ ...common, kind: v.literal("error_200") }),
  v.strictObject({ ...common, kind: v.literal("expired_tokens") }),
  v.strictObject({
    ...common,
    kind: v.literal("skew"),
    ms: v.pipe(v.number(), v.integer(), v.minValue(-MAX_SKEW_MS), v.maxValue(MAX_SKEW_MS)),
  }),
  v.strictObject({ ...common, kind: v.literal("refresh_required") }),
]);

/** Where a request goes, as faults see it. */
export interface FaultTarget {
  provider: ProviderName;
  endpoint: EndpointKind;
}

/** The armed faults, in the order added, each with how many more requests it may change. */
export interface FaultBook {
  add(fault: Fault): void;
  clear(): void;
  /** The first armed fault of one of `kinds` that applies to `target`, spending one of its count. */
  take<K extends FaultKind>(
    target: FaultTarget,
    kinds: readonly K[],
  ): Extract<Fault, { kind: K }> | undefined;
  /** Like `take`, without spending anything. */
  peek<K extends FaultKind>(
    target: FaultTarget,
    kinds: readonly K[],
  ): Extract<Fault, { kind: K }> | undefined;
  /** Every armed fault of `kind` that applies to `target`, spending one of each. */
  takeAll<K extends FaultKind>(target: FaultTarget, kind: K): Extract<Fault, { kind: K }>[];
}

/** Whether `fault` is meant for `target`: its filters match and its kind means something there. */
function appliesTo(fault: Fault, target: FaultTarget): boolean {
  if (fault.provider !== undefined && fault.provider !== target.provider) return false;
  if (fault.endpoint !== undefined && fault.endpoint !== target.endpoint) return false;
  if (fault.kind === "expired_tokens") return target.endpoint !== "api";
  if (fault.kind === "refresh_required") {
    return target.provider === "ipospays" && target.endpoint === "api";
  }
  return true;
}

function isKind<K extends FaultKind>(
  fault: Fault,
  kinds: readonly K[],
): fault is Extract<Fault, { kind: K }> {
  return (kinds as readonly FaultKind[]).includes(fault.kind);
}

/** A new, empty {@link FaultBook}. */
export function createFaultBook(): FaultBook {
  let armed: Array<{ fault: Fault; remaining: number }> = [];
  const spend = (entry: { fault: Fault; remaining: number }): void => {
    entry.remaining -= 1;
    if (entry.remaining <= 0) armed = armed.filter((other) => other !== entry);
  };
  const find = <K extends FaultKind>(target: FaultTarget, kinds: readonly K[]) =>
    armed.find((entry) => isKind(entry.fault, kinds) && appliesTo(entry.fault, target));
  return {
    add(fault) {
      const parsed = v.safeParse(FaultSchema, fault);
      if (!parsed.success) {
        const where = parsed.issues.map((issue) => v.getDotPath(issue) ?? "kind").join(", ");
        throw new TypeError(`Invalid emulator fault: check ${where}.`);
      }
      armed.push({
        fault: parsed.output,
        remaining: parsed.output.count ?? Number.POSITIVE_INFINITY,
      });
    },
    clear() {
      armed = [];
    },
    take(target, kinds) {
      const entry = find(target, kinds);
      if (entry === undefined || !isKind(entry.fault, kinds)) return undefined;
      spend(entry);
      return entry.fault;
    },
    peek(target, kinds) {
      const fault = find(target, kinds)?.fault;
      return fault !== undefined && isKind(fault, kinds) ? fault : undefined;
    },
    takeAll(target, kind) {
      const taken: Extract<Fault, { kind: typeof kind }>[] = [];
      for (const entry of [...armed]) {
        if (!isKind(entry.fault, [kind]) || !appliesTo(entry.fault, target)) continue;
        spend(entry);
        taken.push(entry.fault);
      }
      return taken;
    },
  };
}
