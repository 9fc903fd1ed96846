/**
 * The demo checkout page's script: a token source over the broker provider, fed by the page's
 * "backend" (the broker's demo session endpoint), paying through the broker's proxy.
 */
import { decodeJwt } from "jose/jwt/decode";
import { broker, createTokenSource, isEdgeTokenError } from "../src/index.ts";

const SCOPE = "ipospays:PaymentTokenization";
const brokerUrl = location.origin;
const source = createTokenSource(broker({ brokerUrl, scope: SCOPE, sessionUrl: "/demo/token" }));

const element = (id: string): HTMLElement => {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`#${id} is missing`);
  return found;
};

let payments = 0;

async function showToken(): Promise<void> {
  const token = await source.get();
  const claims = decodeJwt(token.value);
  element("jti").textContent = String(claims.jti ?? "–");
  element("scope").textContent = String(claims.scope ?? "–");
  element("audience").textContent = String(claims.aud ?? "–");
  element("life").textContent = `${Math.max(0, Math.round(token.remaining(Date.now()) / 1000))} s`;
}

function show(state: "ok" | "error", text: string): void {
  const result = element("result");
  result.dataset.state = state;
  result.textContent = text;
}

async function pay(): Promise<void> {
  const amount = Number((element("amount") as HTMLInputElement).value);
  try {
    const response = await source.fetch(`${brokerUrl}/proxy/ipospays/api/v3/iposTransact`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ amount }),
    });
    const body = (await response.json()) as {
      iposhpresponse?: { responseMessage?: string; transactionReferenceId?: string };
    };
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    payments += 1;
    element("count").textContent = String(payments);
    show(
      "ok",
      `${body.iposhpresponse?.responseMessage ?? "OK"} · ref ${body.iposhpresponse?.transactionReferenceId ?? "?"}`,
    );
  } catch (error) {
    show("error", isEdgeTokenError(error) ? `${error.code}: ${error.message}` : String(error));
  }
  await showToken().catch(() => undefined);
}

element("pay").addEventListener("click", () => void pay());
element("renew").addEventListener("click", () => {
  void source.invalidate().then(showToken, (error: unknown) => show("error", String(error)));
});
setInterval(() => void showToken().catch(() => undefined), 1000);
void showToken().catch((error: unknown) => show("error", String(error)));
