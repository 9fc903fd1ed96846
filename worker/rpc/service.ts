/**
 * `BrokerService`: the broker as a named entrypoint for Workers beside it on Cloudflare. A
 * calling Worker binds to it with a service binding whose `props` name its client
 * (`{ clientId: "checkout" }`) and calls `env.BROKER.brokerToken({ scope })` or
 * `env.BROKER.providerToken(scope)`. The binding is the credential — only whoever deploys the
 * calling Worker sets its props — so that Worker holds no secret; the client's policy in
 * `BROKER_CLIENTS` applies exactly as over HTTP (`calls.ts`).
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import type { Broker } from "../broker.ts";
import type { BrokerEnv } from "../state.ts";
import type {
  BrokerServiceProps,
  BrokerTokenAnswer,
  BrokerTokenRequest,
  ProviderTokenAnswer,
} from "./calls.ts";

/** What the entrypoint offers over RPC: the type a calling Worker gives its binding. */
export interface BrokerServiceApi {
  brokerToken(request?: BrokerTokenRequest): Promise<BrokerTokenAnswer>;
  providerToken(scope: string): Promise<ProviderTokenAnswer>;
}

/**
 * The entrypoint class over a broker. The Worker entry exports one over its own broker; tests
 * build one over a broker with the emulator and a hand-moved clock.
 */
export function createBrokerService(broker: Broker) {
  return class BrokerService
    extends WorkerEntrypoint<BrokerEnv, Partial<BrokerServiceProps>>
    implements BrokerServiceApi
  {
    async brokerToken(request: BrokerTokenRequest = {}): Promise<BrokerTokenAnswer> {
      return await broker.brokerToken(this.ctx.props, request, this.env, this.ctx);
    }

    async providerToken(scope: string): Promise<ProviderTokenAnswer> {
      return await broker.providerToken(this.ctx.props, scope, this.env, this.ctx);
    }
  };
}
