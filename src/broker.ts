/**
 * `edgetoken/broker`: the broker's service binding as a calling Worker sees it — the binding's
 * type, and the refusal an RPC call throws, read back. Types and one small function only: a
 * Worker that binds to the broker pays nothing for the token source.
 *
 * Workers RPC keeps an error's message and nothing else (own properties such as `code` are
 * dropped on the way across), so the broker puts the code, the description and the wait into
 * the message in one fixed shape, and {@link readBrokerRefusal} takes them out again.
 *
 * @example
 * import { type BrokerBinding, readBrokerRefusal } from "edgetoken/broker";
 * try {
 *   const token = await env.BROKER.providerToken("ipospays:PaymentTokenization");
 * } catch (error) {
 *   if (readBrokerRefusal(error)?.code === "rate_limited") { … }
 * }
 */
import type { TokenPlacement } from "./provider.ts";

/** What a service binding to the broker carries in `props`. */
export interface BrokerServiceProps {
  /** A client id of the broker's `BROKER_CLIENTS`: the calling Worker is that client. */
  clientId: string;
}

/** `brokerToken`'s argument: the `client_credentials` parameters, typed. */
export interface BrokerTokenRequest {
  /** Space-separated scopes; absent: every scope the client may have. */
  scope?: string;
  /** RFC 8707: one of the client's audiences; absent: its first. */
  resource?: string;
  /** Seconds, capped by the client's `maxLifetime`; absent: the default (300 s). */
  expiresIn?: number;
}

/** A broker token, as `POST /token` answers it. */
export interface BrokerTokenAnswer {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  scope: string;
}

/** A provider's own token, as `POST /provider-token` answers it. */
export interface ProviderTokenAnswer {
  access_token: string;
  /** RFC 8693 §2.2.1: "N_A" where the token is not used with the Bearer scheme (iPOSpays). */
  token_type: "Bearer" | "N_A";
  expires_in: number;
  scope: string;
  /** How to attach it: `headers.set(apply.header, apply.prefix + access_token)`. */
  apply: TokenPlacement;
}

/** `providerToken`'s options. */
export interface ProviderTokenOptions {
  /**
   * The provider token this caller was given and the provider refused (401). If it is still the
   * one the broker holds, the broker renews it — once for the whole fleet, however many callers
   * say so — and answers with the new one; if it was renewed already, with the newer one. A
   * token younger than the cooldown (10 s) is not renewed again: the answer is the same token.
   */
  refused?: string;
}

/**
 * The binding's type: `interface Env { BROKER: BrokerBinding }` in the calling Worker, whose
 * wrangler.toml binds `service = "<the broker>"`, `entrypoint = "BrokerService"`, with
 * `props = { clientId = "…" }`.
 */
export interface BrokerBinding {
  brokerToken(request?: BrokerTokenRequest): Promise<BrokerTokenAnswer>;
  providerToken(scope: string, options?: ProviderTokenOptions): Promise<ProviderTokenAnswer>;
}

/** A refused call, read back from what the binding threw. */
export interface BrokerRefusal {
  /**
   * The OAuth error the HTTP endpoint would answer: `invalid_client`, `invalid_scope`,
   * `invalid_target`, `invalid_request`, `unauthorized_client`, `rate_limited`,
   * `temporarily_unavailable`, `server_error`.
   */
  code: string;
  description: string;
  /** Set for `rate_limited`, and for `temporarily_unavailable` when waiting helps. */
  retryAfterSeconds?: number | undefined;
}

const REFUSAL = /^([a-z][a-z0-9_]*): ([\s\S]*?)(?: \(retry after (\d+) s\))?$/;

/** The message a refusal travels in: `code: description`, then ` (retry after N s)`. */
export function brokerRefusalMessage(refusal: BrokerRefusal): string {
  const wait =
    refusal.retryAfterSeconds === undefined ? "" : ` (retry after ${refusal.retryAfterSeconds} s)`;
  return `${refusal.code}: ${refusal.description}${wait}`;
}

/**
 * The refusal a binding call threw, or `undefined` for anything else (a network error, a bug),
 * read from its message — the one part of an error that crosses a binding.
 */
export function readBrokerRefusal(error: unknown): BrokerRefusal | undefined {
  if (!(error instanceof Error)) return undefined;
  const match = REFUSAL.exec(error.message);
  if (match === null) return undefined;
  const [, code = "", description = "", wait] = match;
  return wait === undefined
    ? { code, description }
    : { code, description, retryAfterSeconds: Number(wait) };
}
