// A Bun backend that reads Papaya Global payments for its page. With the emulator running:
//   bun server.ts
//   curl -s http://127.0.0.1:3001/payments
import { createTokenSource, isEdgeTokenError, papaya } from "edgetoken";

const EMULATOR = Bun.env.EMULATOR_URL ?? "http://127.0.0.1:8788";

const payroll = createTokenSource(
  papaya({
    // The emulator's demo account. With a real one: your key and secret from Bun.env, and
    // baseUrl the host your account manager gave you (Papaya publishes no production host).
    apiKey: "demo-papaya-key",
    clientSecret: "demo-papaya-secret",
    baseUrl: `${EMULATOR}/papaya`,
  }),
);

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(Bun.env.PORT ?? 3001),
  async fetch(request) {
    if (new URL(request.url).pathname !== "/payments") {
      return new Response("not found\n", { status: 404 });
    }
    try {
      // Bearer token attached; a 401 renews it once and replays the request.
      const answer = await payroll.fetch(`${EMULATOR}/papaya/v1/payments`);
      return new Response(answer.body, {
        status: answer.status,
        headers: { "content-type": answer.headers.get("content-type") ?? "application/json" },
      });
    } catch (error) {
      const code = isEdgeTokenError(error) ? error.code : "internal";
      return Response.json({ error: code }, { status: 502 });
    }
  },
});
console.log(`listening on ${server.url}`);
