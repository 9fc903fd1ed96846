/**
 * What a request handler works with: the request, the clock read once, the issuer it is
 * answered as, and the broker's state built from the configuration. An RPC call from a bound
 * Worker (`rpc/service.ts`) has no request: it works with the {@link Moment} alone.
 */
import type { Failure } from "./oauth/failure.ts";
import type { BrokerState } from "./state.ts";

/** What every way into the broker has: the clock read once, the state, the execution context. */
export interface Moment {
  /** Epoch ms, read once when the request or call arrived. */
  now: number;
  state: BrokerState;
  ctx: ExecutionContext;
}

export interface Call extends Moment {
  request: Request;
  url: URL;
  /** `ISSUER`, or this request's origin when none is configured. */
  issuer: string;
}

/** A handler answers with a response, or with the failure `oauth/wire-errors.ts` turns into one. */
export type Handler = (call: Call) => Promise<Response | Failure>;
