// A checkout Worker bound to the broker (README, "Over a service binding"): it holds no secret.
// Its wrangler.toml:
//   [[services]]
//   binding = "BROKER"
//   service = "edgetoken-broker"
//   entrypoint = "BrokerService"
//   [services.props]
//   clientId = "checkout"   # a client of the broker's BROKER_CLIENTS with providerTokens: true
import { type BrokerBinding, readBrokerRefusal } from "edgetoken/broker";

interface Env {
  BROKER: BrokerBinding;
}

const TRANSACT = "https://payment.ipospays.tech/api/v3/iposTransact";
const SCOPE = "ipospays:PaymentTokenization";

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const body = await request.text();
    try {
      let provider = await env.BROKER.providerToken(SCOPE);
      const pay = (token: typeof provider) =>
        fetch(TRANSACT, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            [token.apply.header]: token.apply.prefix + token.access_token,
          },
          body,
        });
      let response = await pay(provider);
      if (response.status === 401) {
        // The provider refused its own token: say so, and pay once more with the one that answers.
        provider = await env.BROKER.providerToken(SCOPE, { refused: provider.access_token });
        response = await pay(provider);
      }
      return response;
    } catch (error) {
      const refusal = readBrokerRefusal(error);
      if (refusal === undefined) throw error;
      const headers = new Headers({ "content-type": "application/json" });
      if (refusal.retryAfterSeconds !== undefined)
        headers.set("retry-after", String(refusal.retryAfterSeconds));
      return new Response(JSON.stringify({ error: refusal.code }), { status: 503, headers });
    }
  },
};
