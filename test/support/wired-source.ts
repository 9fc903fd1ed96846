/**
 * A token source wired to the test double and its fake server, on a clock the test moves by
 * hand, and small waits on what it returns.
 */

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import {
  createTokenSource,
  type EdgeTokenError,
  isEdgeTokenError,
  type Token,
  type TokenSource,
  type TokenSourceOptions,
} from "../../src/index.ts";
import { Clock, type DoubleOptions, doubleProvider, FakeServer } from "./double.ts";
import { recordError } from "./leaks.ts";

export const MINUTE = 60_000;

export function setup(
  options: {
    lifetime?: number;
    latencyMs?: number;
    double?: DoubleOptions;
  } & TokenSourceOptions = {},
) {
  const clock = new Clock();
  const { lifetime, latencyMs, double, ...sourceOptions } = options;
  const server = new FakeServer({
    clock,
    ...(lifetime === undefined ? {} : { lifetime }),
    ...(latencyMs === undefined ? {} : { latencyMs }),
  });
  const provider = doubleProvider(double);
  const source = createTokenSource(provider, {
    ...sourceOptions,
    runtime: { fetch: server.fetch, now: clock.now, random: () => 0, sleep: async () => {} },
  });
  return { clock, server, provider, source };
}

/** get() with an execution context, then waits for any background refresh it started. */
export async function getAndSettle(source: TokenSource): Promise<Token> {
  const ctx = createExecutionContext();
  const token = await source.get({ ctx });
  await waitOnExecutionContext(ctx);
  return token;
}

export async function failure(promise: Promise<unknown>): Promise<EdgeTokenError> {
  try {
    await promise;
  } catch (error) {
    recordError(error);
    if (isEdgeTokenError(error)) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}
