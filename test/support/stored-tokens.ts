/**
 * Tokens for the store tests, a clock the test moves by hand, and what KV recorded for a key.
 */
import { env } from "cloudflare:test";
import { expect } from "vitest";
import { Token, type TokenInit } from "../../src/index.ts";

export const seconds = (n: number): number => n * 1000;

/** A token obtained at `now`, valid for an hour unless told otherwise. */
export function makeToken(now: number, init: Partial<TokenInit> = {}): Token {
  return new Token({
    value: "access-VALUE-7f3a9c",
    expiresAt: now + seconds(3600),
    obtainedAt: now,
    scope: "payments:write",
    refreshToken: "refresh-VALUE-b41d02",
    ...init,
  });
}

/** A clock the test moves by hand, starting at the real time. */
export function clock(): { now: () => number; at: number; advance(ms: number): void } {
  const state = {
    at: Date.now(),
    now: (): number => state.at,
    advance(ms: number): void {
      state.at += ms;
    },
  };
  return state;
}

export function expectSameToken(actual: Token | undefined, expected: Token): void {
  expect(actual).toBeInstanceOf(Token);
  expect(actual?.toInit()).toEqual(expected.toInit());
}

/** The expiration KV recorded for a key, in epoch seconds. */
export async function kvExpiration(key: string): Promise<number | undefined> {
  const { keys } = await env.TOKENS.list({ prefix: key });
  return keys.find((entry) => entry.name === key)?.expiration;
}
