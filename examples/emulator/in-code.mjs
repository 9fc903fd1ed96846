// The emulator in code: a fetch-shaped handler (it routes by path, any host) sharing a clock
// with the token source, so an expiry or a fault takes no waiting. Run: node in-code.mjs
import { createTokenSource, ipospays } from "edgetoken";
import { createEmulator } from "edgetoken/emulator";

let now = Date.now();
const emulator = createEmulator({ now: () => now }); // accounts: { … } replaces the defaults
const source = createTokenSource(
  ipospays({
    apiKey: "demo-merchant-key",
    secretKey: "demo-merchant-secret",
    scope: "PaymentTokenization",
    baseUrl: "https://emulator.test/ipospays",
  }),
  { runtime: { fetch: emulator.fetch, now: () => now } },
);
await source.get(); // a token for 24 h
emulator.addFault({
  provider: "ipospays",
  endpoint: "token",
  kind: "status",
  status: 503,
  count: 2,
});
now += 24 * 3_600_000; // the clock is shared: move it, not the emulator
await source.get(); // expired: two 503s, retried, then a new token
console.log(emulator.calls()); // { "POST /ipospays/v1/authenticate-token": 4 }
