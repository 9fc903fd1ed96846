/**
 * The fault matrix: each provider (iPOSpays, PaymentsGate, Papaya against the emulator; the
 * generic OAuth 2.0 one against a small endpoint) × each fault × each token state, one named test
 * per cell, from the rows of test/support/fault-matrix.ts. In every cell: no expired token is
 * handed out (by our clock or the provider's), the cached token is served while it is above the
 * floor (stale-if-error), otherwise a typed EdgeTokenError with the row's code; the provider
 * sees exactly the row's calls, a second get() right after sends nothing more, and no promise
 * is left rejected without a handler.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import faultsPage from "../../docs/reliability/faults.md?raw";
import { isEdgeTokenError, jwtExpiry, type Token, type TokenSource } from "../../src/index.ts";
import {
  type Calls,
  type Cell,
  describeCell,
  expectedCell,
  FAULT_IDS,
  FAULTS,
  faultMatrixMarkdown,
  PROVIDER_LABELS,
  PROVIDERS,
  remainingMs,
  STATE_IDS,
  STATES,
} from "../support/fault-matrix.ts";
import { type FaultWorld, faultWorld, sharedEmulator, skewOf } from "../support/fault-world.ts";
import { tableCells } from "../support/markdown-tables.ts";

const FLOOR_MS = 30_000;
const shared = sharedEmulator();

const rejections: unknown[] = [];
const onRejection = (event: PromiseRejectionEvent): void => {
  rejections.push(event.reason);
};
beforeAll(() => addEventListener("unhandledrejection", onRejection));
afterAll(() => removeEventListener("unhandledrejection", onRejection));

interface Look {
  token?: Token;
  error?: unknown;
}

/** One get(), with an execution context whose background work (a refresh) is waited for. */
async function look(source: TokenSource): Promise<Look> {
  const ctx = createExecutionContext();
  try {
    const token = await source.get({ ctx });
    return { token };
  } catch (error) {
    return { error };
  } finally {
    await waitOnExecutionContext(ctx);
  }
}

function minus(after: Calls, before: Calls): Calls {
  return { token: after.token - before.token, refresh: after.refresh - before.refresh };
}

/**
 * Never an expired token: above the floor on our clock, still valid on the provider's (its
 * `exp`, less its clock's skew), and never thought to live longer than the provider says.
 */
function expectAlive(world: FaultWorld, token: Token, skew: number): void {
  const now = world.clock.now();
  expect(token.expiresAt - now).toBeGreaterThan(FLOOR_MS);
  const exp = jwtExpiry(token.value);
  if (exp === undefined) return; // OAuth 2.0's opaque token: no provider expiry to hold it to
  const truth = exp - skew;
  expect(truth).toBeGreaterThan(now);
  expect(token.expiresAt).toBeLessThanOrEqual(truth + 1_000); // Date has one-second resolution
}

async function runCell(cell: Cell): Promise<void> {
  rejections.length = 0;
  const world = faultWorld(shared, cell.provider, cell.fault);
  const { clock, source } = world;
  let cached: Token | undefined;
  if (cell.state !== "cold") {
    cached = await source.get();
    clock.t = cached.expiresAt - remainingMs(cell.state, cached.lifetime);
  }
  world.events.length = 0;
  world.arm();
  const before = world.providerCalls();
  const wireBefore = { ...world.wire.calls };

  const first = await look(source);
  const after = world.providerCalls();
  expect(minus(after, before), "calls the provider saw").toEqual(cell.calls);
  expect(minus(world.wire.calls, wireBefore), "calls sent").toEqual(cell.calls);

  // A second look at once: served from memory, or refused from the remembered failure.
  const again = await look(source);
  expect(world.providerCalls(), "calls after a second get()").toEqual(after);

  const { outcome } = cell;
  switch (outcome.kind) {
    case "cached":
      expect(first.token).toBe(cached);
      expect(again.token).toBe(cached);
      break;
    case "stale":
      expect(first.token).toBe(cached);
      expect(again.token).toBe(cached);
      expect(world.events).toContainEqual(
        expect.objectContaining({ type: "refresh_failed", code: outcome.code, serving: true }),
      );
      break;
    case "fresh": {
      // In the refresh window the cached token is served at once and renewed behind it.
      if (cell.state === "window") expect(first.token).toBe(cached);
      const fresh = cell.state === "window" ? again.token : first.token;
      expect(fresh, "a new token").toBeDefined();
      expect(fresh?.value).not.toBe(cached?.value);
      expect(again.token).toBe(fresh);
      if (fresh !== undefined) expectAlive(world, fresh, skewOf(cell.fault));
      if (fresh !== undefined && skewOf(cell.fault) !== 0) {
        // Corrected for the provider's clock, not cut short by it: within Papaya's `valid_until`,
        // which is floored to the minute.
        const truth = (jwtExpiry(fresh.value) ?? 0) - skewOf(cell.fault);
        expect(truth - fresh.expiresAt).toBeLessThan(61_000);
      }
      break;
    }
    case "error": {
      expect(first.token, "no token below the floor").toBeUndefined();
      expect(isEdgeTokenError(first.error, outcome.code), `EdgeTokenError ${outcome.code}`).toBe(
        true,
      );
      if (outcome.providerCode !== undefined) {
        expect(first.error).toMatchObject({ providerCode: outcome.providerCode });
      }
      if (cell.fault === "429")
        expect(first.error).toMatchObject({ status: 429, retryAfterMs: 120_000 });
      if (cell.fault === "5xx") expect(first.error).toMatchObject({ status: 503 });
      expect(isEdgeTokenError(again.error, outcome.code)).toBe(true);
      expect(world.events).toContainEqual(
        expect.objectContaining({ type: "refresh_failed", code: outcome.code, serving: false }),
      );
      break;
    }
  }
  for (const served of [first.token, again.token]) {
    if (served !== undefined && served === cached) expectAlive(world, served, 0);
  }
  if (cell.fault === "5mb" && cell.calls.token + cell.calls.refresh > 0) {
    // The cap (64 KiB) stops the read: far from all of the 5 MB is pulled.
    expect(world.wire.pulled.bytes).toBeLessThanOrEqual(256 * 1024);
  }

  // The fault clears and the backoff passes (it is at most 60 s): the next get() — or, in the
  // refresh window, the one after it — has a live token, and not one that went by the floor.
  world.disarm();
  clock.advance(61_000);
  const recovered = [await look(source), await look(source)];
  for (const { token, error } of recovered) {
    expect(error, "no error once the provider is back").toBeUndefined();
    // A token obtained under the fault has its `exp` on the provider's (skewed) clock.
    const underFault = token !== cached && (token === first.token || token === again.token);
    if (token !== undefined) expectAlive(world, token, underFault ? skewOf(cell.fault) : 0);
  }
  if (cell.state !== "warm") expect(recovered[1]?.token?.value).not.toBe(cached?.value);

  await new Promise((resolve) => setTimeout(resolve, 1));
  expect(rejections, "unhandled rejections").toEqual([]);
}

for (const provider of PROVIDERS) {
  describe(PROVIDER_LABELS[provider], () => {
    for (const fault of FAULT_IDS) {
      for (const state of STATE_IDS) {
        const cell = expectedCell(provider, fault, state);
        const name = `${FAULTS[fault].label} × ${STATES[state].label} → ${describeCell(cell)}`;
        it(name, () => runCell(cell));
      }
    }
  });
}

describe("docs/reliability/faults.md", () => {
  it("shows this matrix, as `npm run reliability:faults` writes it", () => {
    expect(tableCells(faultsPage)).toContain(tableCells(faultMatrixMarkdown()));
  });
});
