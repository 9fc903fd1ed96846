// Deno: a PaymentsGate pay-in, with the token kept in Deno KV, so the next run (or another
// Deno Deploy isolate) adopts it instead of calling PaymentsGate. With the emulator running:
//   deno run --unstable-kv --allow-net=127.0.0.1 --allow-env main.ts
import {
  createDenoKvLease,
  createDenoKvStore,
  createTokenSource,
  paymentsGate,
} from "npm:edgetoken";

const EMULATOR = Deno.env.get("EMULATOR_URL") ?? "http://127.0.0.1:8788";

const kv = await Deno.openKv(); // Deno KV is still unstable in Deno 2: --unstable-kv
const payins = createTokenSource(
  paymentsGate({
    // The emulator's demo account. With a real one: Deno.env.get("PG_ACCOUNT_ID") and so on,
    // and no baseUrl for the sandbox (production needs the host PaymentsGate gave you).
    accountId: "00000000-0000-4000-8000-000000000001",
    publicKey: "ZGVtby1wdWJsaWMta2V5",
    baseUrl: `${EMULATOR}/paymentsgate`,
  }),
  {
    store: createDenoKvStore(kv),
    lease: createDenoKvLease(kv), // one isolate at a time calls PaymentsGate; the others adopt
    onEvent: (event) => {
      if (event.type === "obtained") console.log(`token from the ${event.from}`);
    },
  },
);

const paid = await payins.fetch(`${EMULATOR}/paymentsgate/deals/payin`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ amount: 1250, currency: "EUR" }),
});
console.log(paid.status, await paid.json()); // 200 { status: "created", id: "…" }
kv.close();
