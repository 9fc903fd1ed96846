/**
 * The broker Worker's entry: the handlers with the platform's own fetch and clock, and the
 * Durable Object class its rate limits live in. Tests build their own with `createBroker`.
 */
import { createBroker } from "./broker.ts";
import type { BrokerEnv } from "./state.ts";

export { TokenLeaseObject } from "../src/index.ts";
export { RateLimiter } from "./rate-limit.ts";

const broker = createBroker();

export default {
  fetch: (request, env, ctx) => broker.fetch(request, env, ctx),
  scheduled: (controller, env, ctx) => broker.scheduled(controller, env, ctx),
} satisfies ExportedHandler<BrokerEnv>;
