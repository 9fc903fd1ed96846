// A Node backend (Node 20+, plain JavaScript) that takes payments with iPOSpays: it holds the
// credentials; the page that calls it never sees them. With the emulator running:
//   node backend.mjs
//   curl -s -X POST http://127.0.0.1:3000/pay -d '{"amount":1250}'
import { createServer } from "node:http";
import { createMemoryStore, createTokenSource, ipospays, isEdgeTokenError } from "edgetoken";

const EMULATOR = process.env.EMULATOR_URL ?? "http://127.0.0.1:8788";
const PORT = Number(process.env.PORT ?? 3000);

// One source for the process: one auth call per token lifetime, refreshed ahead of expiry.
const tokenize = createTokenSource(
  ipospays({
    // The emulator's demo merchant. With a real account: your keys from the environment, no
    // baseUrl (the published hosts), and Transact at https://payment.ipospays.tech.
    apiKey: "demo-merchant-key",
    secretKey: "demo-merchant-secret",
    scope: "PaymentTokenization",
    baseUrl: `${EMULATOR}/ipospays`,
  }),
  { store: createMemoryStore() },
);

/** Whole cents, more than zero; anything else is not a payment. @param {string} text */
function amountOf(text) {
  try {
    const { amount } = JSON.parse(text);
    return Number.isSafeInteger(amount) && amount > 0 ? amount : undefined;
  } catch {
    return undefined;
  }
}

const server = createServer(async (request, response) => {
  if (request.method !== "POST" || request.url !== "/pay") {
    response.writeHead(404).end();
    return;
  }
  let body = "";
  for await (const chunk of request) body += chunk;
  const amount = amountOf(body);
  if (amount === undefined) {
    response.writeHead(400, { "content-type": "application/json" });
    response.end('{"error":"amount must be whole cents, more than 0"}\n');
    return;
  }
  try {
    const paid = await tokenize.fetch(`${EMULATOR}/ipospays/api/v3/iposTransact`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ amount }),
    });
    response.writeHead(paid.status, { "content-type": "application/json" });
    response.end(await paid.text());
  } catch (error) {
    // An EdgeTokenError: its code says what went wrong; no message of it holds a secret.
    const code = isEdgeTokenError(error) ? error.code : "internal";
    response.writeHead(502, { "content-type": "application/json" });
    response.end(`${JSON.stringify({ error: code })}\n`);
  }
});
server.listen(PORT, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${PORT}`));
