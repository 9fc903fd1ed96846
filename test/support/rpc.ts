/**
 * The broker's RPC entrypoint (`worker/rpc/service.ts`) over a test world's broker, as a service
 * binding with the given `props` reaches it, and the error a refused call throws.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import type { BrokerServiceError } from "../../worker/rpc/calls.ts";
import { type BrokerServiceApi, createBrokerService } from "../../worker/rpc/service.ts";
import type { World } from "./broker.ts";
import { recordError } from "./leaks.ts";

/**
 * The entrypoint over the world's broker, as a binding with these `props` reaches it: a fresh
 * instance per call, its background work waited for.
 */
export function bound(world: World, props?: unknown): BrokerServiceApi {
  const call = async <T>(method: (service: BrokerServiceApi) => Promise<T>): Promise<T> => {
    const ctx = createExecutionContext();
    const withProps = {
      waitUntil: (promise: Promise<unknown>) => ctx.waitUntil(promise),
      passThroughOnException: () => ctx.passThroughOnException(),
      props,
    } as unknown as ExecutionContext;
    const Service = createBrokerService(world.broker);
    try {
      return await method(new Service(withProps, world.env));
    } finally {
      await waitOnExecutionContext(ctx);
    }
  };
  return {
    brokerToken: (request) => call((service) => service.brokerToken(request)),
    providerToken: (scope) => call((service) => service.providerToken(scope)),
  };
}

/** The error a call is refused with (handed to the leak guard); a call that succeeds fails. */
export async function refusal(promise: Promise<unknown>): Promise<BrokerServiceError> {
  try {
    await promise;
  } catch (error) {
    recordError(error, "a refused RPC call");
    return error as BrokerServiceError;
  }
  throw new Error("the call was not refused");
}
