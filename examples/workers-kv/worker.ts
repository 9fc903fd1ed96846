// A Cloudflare Worker that takes payments with iPOSpays, its tokens shared through Workers KV:
// every isolate in every location reads the token one of them obtained. With the emulator
// running: cp .dev.vars.example .dev.vars && npx wrangler dev, then
//   curl -s -X POST http://127.0.0.1:8789/ -d '{"amount":1250}'
import {
  createKvStore,
  createTokenSource,
  ipospays,
  isEdgeTokenError,
  type TokenSource,
} from "edgetoken";

interface Env {
  TOKENS: KVNamespace;
  /** Vars: the emulator's URLs here; unset for the real hosts. */
  IPOSPAYS_BASE_URL?: string;
  TRANSACT_URL: string;
  /** Secrets (`wrangler secret put`; `.dev.vars` locally), never vars. */
  IPOS_API_KEY: string;
  IPOS_SECRET_KEY: string;
}

let tokenize: TokenSource | undefined; // module scope: shared by every request of the isolate

export default {
  async fetch(request, env, ctx): Promise<Response> {
    if (request.method !== "POST") return new Response("POST a payment\n", { status: 405 });
    tokenize ??= createTokenSource(
      ipospays({
        apiKey: env.IPOS_API_KEY,
        secretKey: env.IPOS_SECRET_KEY,
        scope: "PaymentTokenization",
        ...(env.IPOSPAYS_BASE_URL === undefined ? {} : { baseUrl: env.IPOSPAYS_BASE_URL }),
      }),
      { store: createKvStore(env.TOKENS) },
    );
    try {
      // `ctx` lets a refresh ahead of expiry finish after the response (waitUntil).
      return await tokenize.fetch(
        env.TRANSACT_URL,
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: await request.text(),
        },
        { ctx },
      );
    } catch (error) {
      const code = isEdgeTokenError(error) ? error.code : "internal";
      return Response.json({ error: code }, { status: 502 });
    }
  },
} satisfies ExportedHandler<Env>;
