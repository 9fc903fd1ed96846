// The checkout page's script: a page token source on the broker provider's `sessionUrl` (the
// backend hands it a two-minute token narrowed to one scope), shared by every tab of the shop —
// one token request per renewal between them, however many tabs are open.
import { broker, createTokenSource, isEdgeTokenError } from "edgetoken";
import { createBroadcastStore, createWebLocksLease } from "edgetoken/browser";

const SCOPE = "ipospays:PaymentTokenization";

const source = createTokenSource(
  broker({
    brokerUrl: location.origin, // backend.mjs passes /proxy/ipospays/… on to the broker
    scope: SCOPE,
    sessionUrl: "/checkout/token",
  }),
  {
    store: createBroadcastStore(), // the tabs' shared copy, in memory only
    lease: createWebLocksLease(), // undefined without navigator.locks: each tab on its own
  },
);

const form = /** @type {HTMLFormElement} */ (document.getElementById("pay"));
const amountField = /** @type {HTMLInputElement} */ (document.getElementById("amount"));
const submit = /** @type {HTMLButtonElement} */ (document.getElementById("submit"));
const result = /** @type {HTMLOutputElement} */ (document.getElementById("result"));
const tokenLine = /** @type {HTMLParagraphElement} */ (document.getElementById("token"));

/** @param {"ok" | "error"} state @param {string} text */
function show(state, text) {
  result.dataset.state = state;
  result.textContent = text;
}

async function showToken() {
  const token = await source.get();
  const left = Math.round((token.expiresAt - Date.now()) / 1000);
  tokenLine.textContent = `token: ${token.scope ?? SCOPE}, ${left} s left`;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const amount = Number(amountField.value);
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    show("error", "The amount must be whole cents, more than 0.");
    return;
  }
  submit.disabled = true; // one payment per click
  try {
    const response = await source.fetch("/proxy/ipospays/api/v3/iposTransact", {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": crypto.randomUUID() },
      body: JSON.stringify({ amount }),
    });
    const text = await response.text();
    if (!response.ok) {
      show("error", `The payment was refused (${response.status}).`);
      return;
    }
    const answer = JSON.parse(text).iposhpresponse ?? {};
    show("ok", `${answer.responseMessage ?? "Done"}: ${answer.amount} cents.`);
    await showToken();
  } catch (error) {
    // An EdgeTokenError names what went wrong (its message never holds a token).
    show("error", isEdgeTokenError(error) ? `No token: ${error.code}.` : "The network failed.");
  } finally {
    submit.disabled = false;
  }
});

showToken().catch(() => show("error", "No token from the backend yet."));
