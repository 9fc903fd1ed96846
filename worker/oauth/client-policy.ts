/**
 * What a client of the broker may have — scopes, audiences, lifetimes, origins, provider tokens,
 * a rate — as `BROKER_CLIENTS` configures it. Every grant is the intersection of what a request
 * asks for and this.
 */
import type { BrokerScope } from "./scopes.ts";

/** The longest a broker token may live, whatever a client's policy says (issue 5). */
export const MAX_LIFETIME_SECONDS = 900;

/** A client of the broker and what it may have. */
export interface ClientPolicy {
  id: string;
  /** `sha256:` + base64url of the secret's SHA-256. */
  secretHash: string;
  scopes: readonly BrokerScope[];
  /** The first is the default when a request names no `resource`. */
  audiences: readonly [string, ...string[]];
  maxLifetime: number;
  /** Browser origins that may use this client's tokens at the proxy. */
  origins: readonly string[];
  /** Whether it may have the providers' own tokens (`POST /provider-token`). */
  providerTokens: boolean;
  /** Whether it may read the broker's counters (`GET /counters`). */
  operator: boolean;
  rateLimit: { requests: number; windowSeconds: number };
}

/** A client's rate limit when its policy names none. */
export const DEFAULT_RATE_LIMIT = { requests: 300, windowSeconds: 60 };
