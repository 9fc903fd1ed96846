/**
 * The broker Worker's entry: the handlers with the platform's own fetch and clock, the RPC
 * entrypoint bound Workers call (`BrokerService`), and the Durable Object classes. Tests build
 * their own with `createBroker` and `createBrokerService`.
 */
import { createBroker } from "./broker.ts";
import { createBrokerService } from "./rpc/service.ts";
import type { BrokerEnv } from "./state.ts";

export { TokenLeaseObject } from "../src/index.ts";
export { RateLimiter } from "./rate-limit.ts";
export type { BrokerServiceProps, BrokerTokenRequest } from "./rpc/calls.ts";
export type { BrokerServiceApi } from "./rpc/service.ts";

const broker = createBroker();

/** RPC for Workers bound to the broker: see `rpc/service.ts`. */
export class BrokerService extends createBrokerService(broker) {}

export default {
  fetch: (request, env, ctx) => broker.fetch(request, env, ctx),
  scheduled: (controller, env, ctx) => broker.scheduled(controller, env, ctx),
} satisfies ExportedHandler<BrokerEnv>;
