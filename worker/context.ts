/**
 * What a request handler works with: the request, the clock read once, the issuer it is
 * answered as, and the broker's state built from the configuration.
 */
import type { Failure } from "./failure.ts";
import type { BrokerState } from "./state.ts";

export interface Call {
  request: Request;
  url: URL;
  /** Epoch ms, read once when the request arrived. */
  now: number;
  /** `ISSUER`, or this request's origin when none is configured. */
  issuer: string;
  state: BrokerState;
  ctx: ExecutionContext;
}

/** A handler answers with a response, or with the failure `oauth-errors.ts` turns into one. */
export type Handler = (call: Call) => Promise<Response | Failure>;
