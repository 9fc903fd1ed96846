import type { JWTHeaderParameters, JWTPayload } from "jose";
import type { EmulatorAccounts } from "./accounts.ts";
import type { EndpointKind, ProviderName } from "./faults.ts";
import type { Payments } from "./idempotency.ts";
import type { Ledger } from "./ledger.ts";
import type { Reply } from "./reply.ts";
import type { Inspection, TokenIdOf } from "./tokens.ts";

/** What a provider's handler may see and do while it answers one request. */
export interface EndpointContext {
  /** The provider's clock for this request, epoch ms: the emulator's clock plus any skew fault. */
  readonly now: number;
  /**
   * False when an `error_200` fault will replace a success: the handler then answers as usual
   * but changes no state (no token recorded, no refresh token spent) and spends no fault.
   */
  readonly live: boolean;
  readonly accounts: EmulatorAccounts;
  readonly ledger: Ledger;
  /** Payments already made, by `Idempotency-Key` (in memory only). */
  readonly payments: Payments;
  /** Whether a fault of this kind applies here; spends one of its count when `live`. */
  fault(kind: "expired_tokens" | "refresh_required"): boolean;
  sign(header: JWTHeaderParameters, claims: JWTPayload): Promise<string>;
  /** Checks a presented token as this provider's token, against `now`. */
  inspect(token: string | null, idOf: TokenIdOf): Promise<Inspection>;
}

/** One emulated endpoint: where it lives, how it answers, and how its provider misbehaves. */
export interface Endpoint {
  readonly provider: ProviderName;
  readonly kind: EndpointKind;
  readonly method: "GET" | "POST";
  /** The full path, provider prefix included. */
  readonly path: string;
  handle(request: Request, context: EndpointContext): Promise<Reply>;
  /** The provider's usual refusal here, sent under HTTP 200 by `error_200` in place of a success. */
  readonly refusal: Reply;
  /** A body of the wrong shape under the success status, for the `malformed` fault. */
  malformed(nowMs: number): Reply;
  /** The 429 body, for the `rate_limit` fault (which adds the status and `Retry-After`). */
  readonly throttled: Reply;
  /** The answer for a request the handler could not make sense of at all. */
  readonly badRequest: Reply;
}
