/**
 * `readBrokerRefusal`: what a Worker bound to the broker reads from the error a call threw.
 * Workers RPC keeps only the message, so the message must round-trip every part of a refusal.
 */
import { describe, expect, it } from "vitest";
import { type BrokerRefusal, brokerRefusalMessage, readBrokerRefusal } from "../../src/broker.ts";

describe("readBrokerRefusal", () => {
  it.each<BrokerRefusal>([
    { code: "invalid_client", description: "Client authentication failed." },
    { code: "rate_limited", description: "Too many requests; retry in 3 s.", retryAfterSeconds: 3 },
    {
      code: "temporarily_unavailable",
      description: "papaya: no token.\nTry later (soon).",
      retryAfterSeconds: 120,
    },
    { code: "server_error", description: "" },
  ])("round-trips %j through a plain Error's message", (refusal) => {
    expect(readBrokerRefusal(new Error(brokerRefusalMessage(refusal)))).toEqual(refusal);
  });

  it.each([
    ["a platform error", new TypeError("fetch failed")],
    ["no code", new Error("Client authentication failed.")],
    ["a code in capitals", new Error("Invalid_Client: nope")],
    ["not an Error", "invalid_client: Client authentication failed."],
    ["nothing", undefined],
  ])("is undefined for %s", (_name, error) => {
    expect(readBrokerRefusal(error)).toBeUndefined();
  });
});
