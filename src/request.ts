import { EdgeTokenError } from "./errors.ts";
import { abortable } from "./internal/abortable.ts";
import { readUpTo } from "./internal/capped-body.ts";
import type { Runtime } from "./runtime.ts";
import { type BackoffOptions, backoffMs } from "./schedule.ts";

/**
 * How a provider call is sent. Every call has a timeout; network errors, 5xx and 429 are
 * retried with exponential backoff and full jitter; nothing else is.
 *
 * @example
 * ipospays({ ...keys, requestPolicy: { timeoutMs: 5_000, retries: 3, backoff: { baseMs: 100 } } });
 */
export interface RequestPolicy {
  /** Per attempt, including reading the body. Default 10 000 ms. */
  timeoutMs?: number | undefined;
  /** Retries after the first attempt. Default 2. */
  retries?: number | undefined;
  /**
   * Between attempts: retry n waits a random time in [0, baseMs·2ⁿ), never more than `maxMs`
   * (full jitter). Default 200 ms → 5 000 ms.
   */
  backoff?: BackoffOptions | undefined;
  /** A `Retry-After` longer than this is not waited for: the call fails `rate_limited`. Default 30 000 ms. */
  maxRetryAfterMs?: number | undefined;
  /** Bodies larger than this are refused. Default 64 KiB. */
  maxResponseBytes?: number | undefined;
}

/** A response with its body read, and when it was sent and received on the local clock. */
export interface SentRequest {
  response: Response;
  body: string;
  sentAt: number;
  receivedAt: number;
}

/**
 * `Retry-After` in milliseconds: delta-seconds or an HTTP date.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
 */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

async function readCapped(
  response: Response,
  max: number,
  what: string,
  signal: AbortSignal,
): Promise<string> {
  const declared = Number(response.headers.get("content-length"));
  const tooLarge = (): EdgeTokenError =>
    new EdgeTokenError(
      "response_too_large",
      `${what} answered with more than ${max} bytes; raise requestPolicy.maxResponseBytes if that is expected.`,
      { status: response.status },
    );
  if (declared > max) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (response.body === null) return "";
  const bytes = await readUpTo(response.body, max, (pending) => abortable(pending, signal));
  if (bytes === undefined) throw tooLarge();
  return new TextDecoder().decode(bytes);
}

/**
 * Sends a request built afresh for every attempt, under the policy's timeout and retries, and
 * reads its body up to the size cap. Statuses other than 5xx and 429 come back to the caller to
 * interpret; a 429 or 5xx that outlasts the retries becomes a typed error.
 *
 * @example
 * const sent = await sendRequest(() => new Request(url, { method: "POST", body }), runtime, {},
 *   "iPOSpays generate");
 */
export async function sendRequest(
  build: () => Request,
  runtime: Runtime,
  policy: RequestPolicy = {},
  what = "The provider",
  signal?: AbortSignal,
): Promise<SentRequest> {
  const timeoutMs = policy.timeoutMs ?? 10_000;
  const retries = policy.retries ?? 2;
  const aborted = (): EdgeTokenError =>
    new EdgeTokenError("aborted", `The call to ${what} was aborted.`);
  /** Waits before the next attempt: a `Retry-After` the caller accepted, as it is, or the backoff. */
  const pause = async (attempt: number, retryAfter: number | undefined): Promise<void> => {
    const backoff = {
      baseMs: policy.backoff?.baseMs ?? 200,
      maxMs: policy.backoff?.maxMs ?? 5_000,
    };
    try {
      await runtime.sleep(
        retryAfter ?? backoffMs(attempt, backoff, runtime.random(), "full"),
        signal,
      );
    } catch {
      throw aborted();
    }
  };
  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted) throw aborted();
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([timeout, signal]) : timeout;
    let request: Request;
    try {
      // Redirects are not followed: they would carry the credentials to wherever they point.
      request = new Request(build(), { signal: combined, redirect: "manual" });
    } catch {
      // No cause: the platform's message may quote the header value (a secret) it refused.
      throw new EdgeTokenError(
        "configuration",
        `The request to ${what} could not be built; check the options for characters a header cannot carry.`,
      );
    }
    const sentAt = runtime.now();
    let response: Response;
    try {
      response = await abortable(runtime.fetch(request), combined);
      if (response.status !== 429 && response.status < 500) {
        const body = await readCapped(response, policy.maxResponseBytes ?? 65_536, what, combined);
        return { response, body, sentAt, receivedAt: runtime.now() };
      }
    } catch (error) {
      // What a failed attempt throws: the caller's abort, the timeout, or the network error. The
      // cause is a platform network error: it names a host at most, never a header or body.
      const typed =
        error instanceof EdgeTokenError
          ? error
          : signal?.aborted
            ? aborted()
            : timeout.aborted
              ? new EdgeTokenError(
                  "timeout",
                  `${what} did not answer within ${timeoutMs} ms (requestPolicy.timeoutMs).`,
                )
              : new EdgeTokenError("upstream_unavailable", `${what} could not be reached.`, {
                  cause: error,
                });
      if (!typed.retryable || typed.code === "response_too_large" || attempt >= retries) {
        throw typed;
      }
      await pause(attempt, undefined);
      continue;
    }
    // 429 or 5xx: the body is not needed.
    await response.body?.cancel().catch(() => {});
    const status = response.status;
    const retryAfter = retryAfterMs(response.headers.get("retry-after"), runtime.now());
    if (attempt >= retries || (retryAfter ?? 0) > (policy.maxRetryAfterMs ?? 30_000)) {
      throw new EdgeTokenError(
        status === 429 ? "rate_limited" : "upstream_unavailable",
        status === 429
          ? `${what} is rate limiting us (HTTP 429)${retryAfter === undefined ? "" : `; retry after ${Math.ceil(retryAfter / 1000)} s`}.`
          : `${what} is unavailable (HTTP ${status}) after ${attempt + 1} attempts.`,
        { status, retryAfterMs: retryAfter },
      );
    }
    await pause(attempt, retryAfter);
  }
}
