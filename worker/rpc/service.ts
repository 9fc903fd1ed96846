/**
 * `BrokerService`: the broker as a named entrypoint for Workers beside it on Cloudflare. A
 * calling Worker binds to it with a service binding whose `props` name its client
 * (`{ clientId: "checkout" }`) and calls `env.BROKER.brokerToken({ scope })` or
 * `env.BROKER.providerToken(scope)`. The binding is the credential — only whoever deploys the
 * calling Worker sets its props — so that Worker holds no secret; the client's policy in
 * `BROKER_CLIENTS` applies exactly as over HTTP (`calls.ts`).
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import type { BrokerBinding, ProviderTokenOptions } from "../../src/broker.ts";
import type { Broker } from "../broker.ts";
import type { BrokerEnv } from "../state.ts";
import {
  answered,
  type BrokerServiceProps,
  type BrokerTokenAnswer,
  type BrokerTokenRequest,
  type ProviderTokenAnswer,
  rpcBrokerToken,
  rpcProviderToken,
} from "./calls.ts";

/** What the entrypoint offers over RPC: the type a calling Worker gives its binding. */
export type BrokerServiceApi = BrokerBinding;

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
      const props: unknown = this.ctx.props;
      return answered(
        await broker.call("brokerToken", this.env, this.ctx, (at) =>
          rpcBrokerToken(at, props, request),
        ),
      );
    }

    async providerToken(
      scope: string,
      options?: ProviderTokenOptions,
    ): Promise<ProviderTokenAnswer> {
      const props: unknown = this.ctx.props;
      return answered(
        await broker.call("providerToken", this.env, this.ctx, (at) =>
          rpcProviderToken(at, props, scope, options),
        ),
      );
    }
  };
}
