// Deno Deploy, or several Deno processes on one machine: every isolate takes the PaymentsGate
// token from Deno KV, and the lease in the same database lets one of them at a time call
// PaymentsGate for a new one — its refresh token works once, so two isolates must never both
// spend it. With the emulator running (run it twice, on two ports, to see them share):
//   PORT=8001 deno run --unstable-kv --allow-net=127.0.0.1 --allow-env deploy.ts
//   curl -s -X POST -d '{"amount":1250}' http://127.0.0.1:8001/payin
import {
  createDenoKvLease,
  createDenoKvStore,
  createTokenSource,
  isEdgeTokenError,
  paymentsGate,
} from "npm:edgetoken";

const EMULATOR = Deno.env.get("EMULATOR_URL") ?? "http://127.0.0.1:8788";

const kv = await Deno.openKv(); // on Deno Deploy, the app's database; here, one file per script
const payins = createTokenSource(
  paymentsGate({
    // The emulator's demo account. With a real one: Deno.env.get("PG_ACCOUNT_ID") and so on.
    accountId: "00000000-0000-4000-8000-000000000001",
    publicKey: "ZGVtby1wdWJsaWMta2V5",
    baseUrl: `${EMULATOR}/paymentsgate`,
  }),
  { store: createDenoKvStore(kv), lease: createDenoKvLease(kv) },
);

Deno.serve(
  {
    hostname: "127.0.0.1",
    port: Number(Deno.env.get("PORT") ?? 8001),
    onListen: ({ port }) => console.log(`listening on http://127.0.0.1:${port}`),
  },
  async (request) => {
    if (request.method !== "POST" || new URL(request.url).pathname !== "/payin") {
      return new Response("not found\n", { status: 404 });
    }
    const body: unknown = await request.json().catch(() => null);
    const amount = (body as { amount?: unknown } | null)?.amount;
    if (!Number.isSafeInteger(amount) || (amount as number) <= 0) {
      return Response.json(
        { error: "amount must be a positive whole number of cents" },
        { status: 400 },
      );
    }
    try {
      const paid = await payins.fetch(`${EMULATOR}/paymentsgate/deals/payin`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ amount, currency: "EUR" }),
      });
      return new Response(paid.body, {
        status: paid.status,
        headers: { "content-type": paid.headers.get("content-type") ?? "application/json" },
      });
    } catch (error) {
      return Response.json(
        { error: isEdgeTokenError(error) ? error.code : "internal" },
        { status: 502 },
      );
    }
  },
);
