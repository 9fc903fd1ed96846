// The library pointed at the served emulator: each provider's baseUrl is the emulator's prefix
// for it, and the protected endpoints sit under the same prefix (plain http is accepted for
// loopback hosts only). With the emulator running: node three-providers.mjs
import { createTokenSource, ipospays, papaya, paymentsGate } from "edgetoken";

const EMULATOR = process.env.EMULATOR_URL ?? "http://127.0.0.1:8788";
const ipos = createTokenSource(
  ipospays({
    apiKey: "demo-merchant-key",
    secretKey: "demo-merchant-secret",
    scope: "PaymentTokenization",
    baseUrl: `${EMULATOR}/ipospays`,
  }),
);
const pg = createTokenSource(
  paymentsGate({
    accountId: "00000000-0000-4000-8000-000000000001",
    publicKey: "ZGVtby1wdWJsaWMta2V5",
    baseUrl: `${EMULATOR}/paymentsgate`,
  }),
);
const pay = createTokenSource(
  papaya({
    apiKey: "demo-papaya-key",
    clientSecret: "demo-papaya-secret",
    baseUrl: `${EMULATOR}/papaya`,
  }),
);
const paid = await ipos.fetch(`${EMULATOR}/ipospays/api/v3/iposTransact`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ amount: 1250 }),
});
console.log(paid.status, await paid.json()); // 200 { iposhpresponse: { responseCode: "200", … } }
console.log((await pg.fetch(`${EMULATOR}/paymentsgate/deals/payin`, { method: "POST" })).status); // 200
console.log((await pay.fetch(`${EMULATOR}/papaya/v1/payments`)).status); // 200
