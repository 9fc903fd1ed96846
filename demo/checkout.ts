/**
 * The demo checkout page's script: a token source over the broker provider, fed by the page's
 * "backend" (the broker's demo session endpoint), paying through the broker's proxy. It shows
 * each step of the flow as it happens (page → backend → broker → provider), the token's life
 * counting down, and what went wrong in words; one payment per click, with an Idempotency-Key
 * per payment attempt that a retry of that attempt sends again.
 */
import { decodeJwt } from "jose/jwt/decode";
import { broker, createTokenSource, type TokenSourceEvent } from "../src/index.ts";
import { checkAmount, formatCents } from "./amount.ts";
import { explainThrown, type Failure, httpStatus, type Outcome, readPayment } from "./explain.ts";

const SCOPE = "ipospays:PaymentTokenization";
const SESSION_PATH = "/demo/token";
const PAY_PATH = "/proxy/ipospays/api/v3/iposTransact";
const brokerUrl = location.origin;

const element = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`#${id} is missing`);
  return found as T;
};

// ---- The flow: each step as it happens -------------------------------------------------------

type Hop = "page" | "backend" | "broker" | "provider";
type Tone = "info" | "ok" | "error";
const FLOW_LIMIT = 40;

function clock(at: number): string {
  const date = new Date(at);
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** One line of the flow: when, from which part to which, what, and how long it took. */
function step(from: Hop, to: Hop, text: string, tone: Tone = "info", ms?: number): void {
  const list = element("flow");
  const item = document.createElement("li");
  item.dataset.from = from;
  item.dataset.to = to;
  item.dataset.tone = tone;
  const time = document.createElement("time");
  const now = Date.now();
  time.dateTime = new Date(now).toISOString();
  time.textContent = clock(now);
  const hop = document.createElement("span");
  hop.className = "hop";
  hop.textContent = from === to ? LABELS[from] : `${LABELS[from]} → ${LABELS[to]}`;
  const what = document.createElement("span");
  what.className = "what";
  what.textContent = ms === undefined ? text : `${text} (${ms} ms)`;
  item.append(time, hop, what);
  list.append(item);
  while (list.children.length > FLOW_LIMIT) list.firstElementChild?.remove();
  // The list scrolls to its newest step; the page itself stays where the reader left it.
  list.scrollTop = list.scrollHeight;
  for (const part of ["page", "backend", "broker", "provider"] as const) {
    element(`part-${part}`).dataset.active = String(part === from || part === to);
  }
}

const LABELS: Record<Hop, string> = {
  page: "page",
  backend: "backend",
  broker: "broker",
  provider: "iPOSpays",
};

// ---- The token source, watched ---------------------------------------------------------------

/** Why the next token is being fetched, for the flow: set just before each reason arises. */
let tokenReason: "first" | "ahead" | "asked" | "refused" = "first";
let tokensObtained = 0;
let sessionSentAt = 0;

/** The page's fetch, seen: the session call and the payment are drawn as they go and come. */
const watchedFetch = async (input: Request | string | URL, init?: RequestInit) => {
  const request = input instanceof Request ? input : new Request(input, init);
  const path = new URL(request.url).pathname;
  const started = performance.now();
  if (path === SESSION_PATH) {
    sessionSentAt = started;
    step("page", "backend", `POST ${SESSION_PATH}: a page token for ${SCOPE}, please`);
  }
  try {
    const response = await fetch(request);
    if (path === SESSION_PATH && !response.ok) {
      step(
        "backend",
        "page",
        `no token: ${httpStatus(response.status)}`,
        "error",
        Math.round(performance.now() - started),
      );
    }
    return response;
  } catch (error) {
    step(
      path === SESSION_PATH ? "backend" : "broker",
      "page",
      "no answer: the connection failed",
      "error",
      Math.round(performance.now() - started),
    );
    throw error;
  }
};

function onEvent(event: TokenSourceEvent): void {
  if (event.type === "obtained") {
    tokensObtained += 1;
    const ms = Math.round(performance.now() - sessionSentAt);
    const life = Math.round((event.expiresAt - Date.now()) / 1000);
    const how =
      tokensObtained === 1
        ? "page token obtained"
        : tokenReason === "asked"
          ? "page token renewed, as asked"
          : tokenReason === "refused"
            ? "page token renewed after the broker refused the old one"
            : "page token refreshed ahead of expiry";
    step("backend", "page", `${how}: ${life} s of life`, "ok", ms);
    tokenReason = "ahead";
    void showToken();
  } else if (event.type === "renewing") {
    tokenReason = "refused";
    step(
      "broker",
      "page",
      "401: the broker refused the page token; renewing it, then replaying once",
      "error",
    );
  } else if (event.type === "refresh_failed") {
    step(
      "backend",
      "page",
      `token refresh failed (${event.code}); retrying in ${Math.round(event.retryInMs / 1000)} s`,
      "error",
    );
  }
}

const source = createTokenSource(broker({ brokerUrl, scope: SCOPE, sessionUrl: SESSION_PATH }), {
  runtime: { fetch: watchedFetch },
  onEvent,
});

let lastJti = "";
let lifetimeSeconds = 0;

/** The token's claims and its life left; asking the source each second also lets it refresh ahead. */
async function showToken(): Promise<void> {
  const token = await source.get();
  const claims = decodeJwt(token.value);
  const jti = String(claims.jti ?? "–");
  if (jti !== lastJti) {
    lastJti = jti;
    lifetimeSeconds = Math.max(1, Math.round((token.expiresAt - token.obtainedAt) / 1000));
    element("jti").textContent = jti;
    element("scope").textContent = String(claims.scope ?? "–");
    element("audience").textContent = String(claims.aud ?? "–");
    element("obtained").textContent = clock(token.obtainedAt);
    const meter = element<HTMLMeterElement>("life-meter");
    meter.max = lifetimeSeconds;
    meter.low = Math.round(lifetimeSeconds / 4);
    meter.optimum = lifetimeSeconds;
  }
  const left = Math.max(0, Math.round(token.remaining(Date.now()) / 1000));
  element("life").textContent = `${left} s`;
  element<HTMLMeterElement>("life-meter").value = left;
}

// ---- Paying: one payment per click, an Idempotency-Key per attempt ---------------------------

const amountInput = element<HTMLInputElement>("amount");
const payButton = element<HTMLButtonElement>("pay");
const renewButton = element<HTMLButtonElement>("renew");

/** A payment attempt: its key is sent again by "Try again" for the same amount. */
interface Attempt {
  key: string;
  cents: number;
  tries: number;
}
let attempt: Attempt | undefined;
let busy = false;
let payments = 0;

/** crypto.randomUUID where the page is a secure context (loopback, https), else the same shape. */
function newKey(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function labelButton(): void {
  if (busy) return;
  const checked = checkAmount(amountInput.value);
  const sum = checked.ok ? ` ${formatCents(checked.cents)}` : "";
  payButton.textContent =
    attempt !== undefined && checked.ok && attempt.cents === checked.cents
      ? `Try again${sum}`
      : `Pay${sum}`;
}

function fieldError(message: string | undefined): void {
  const error = element("amount-error");
  error.textContent = message ?? "";
  error.hidden = message === undefined;
  amountInput.setAttribute("aria-invalid", String(message !== undefined));
}

function setBusy(on: boolean): void {
  busy = on;
  payButton.disabled = on;
  payButton.setAttribute("aria-busy", String(on));
  document.body.dataset.busy = String(on);
  if (on) payButton.textContent = "Paying…";
  else labelButton();
}

function showOutcome(outcome: Outcome | { kind: "paying"; text: string }): void {
  const result = element("result");
  const advice = element("advice");
  const detail = element("detail");
  delete result.dataset.from;
  if (outcome.kind === "paying") {
    result.dataset.state = "busy";
    result.textContent = outcome.text;
    advice.textContent = "";
    detail.textContent = "";
    return;
  }
  if (outcome.kind === "paid") {
    result.dataset.state = "ok";
    const sum =
      outcome.amount !== undefined && /^\d+$/.test(outcome.amount)
        ? ` ${formatCents(Number(outcome.amount))}`
        : "";
    result.textContent = `Paid${sum}: ${outcome.message}.`;
    advice.textContent = "";
    detail.textContent = `iPOSpays reference ${outcome.reference}`;
    return;
  }
  result.dataset.state = "error";
  result.dataset.from = outcome.from;
  result.textContent = outcome.title;
  advice.textContent = outcome.action;
  detail.textContent = outcome.detail;
}

function drawAnswer(outcome: Outcome, status: number, ms: number, replayed: boolean): void {
  if (outcome.kind === "paid") {
    step("broker", "provider", "page token checked, swapped for the broker's iPOSpays token");
    // `Idempotent-Replayed`: the key had paid already; this is that answer, nothing charged again.
    const again = replayed ? " (the first answer again: not charged twice)" : "";
    step(
      "provider",
      "page",
      `${httpStatus(status)}: ${outcome.message}, reference ${outcome.reference.slice(0, 8)}…${again}`,
      "ok",
      ms,
    );
  } else if (outcome.from === "broker") {
    step("broker", "page", `refused: ${outcome.detail}`, "error", ms);
  } else if (outcome.from === "provider") {
    step("broker", "provider", "page token checked, swapped for the broker's iPOSpays token");
    step("provider", "page", outcome.detail, "error", ms);
  }
}

/** Drawn when the payment leaves, with the key it carries (the first 8 characters). */
const sendStep = (current: Attempt): void =>
  step(
    "page",
    "broker",
    `POST ${PAY_PATH}: ${formatCents(current.cents)}, Idempotency-Key ${current.key.slice(0, 8)}…${current.tries > 1 ? ` (try ${current.tries}, same key)` : ""}`,
  );

async function pay(): Promise<void> {
  // Synchronous up to setBusy: a second click in the same tick finds the page busy.
  if (busy) return;
  const checked = checkAmount(amountInput.value);
  if (!checked.ok) {
    fieldError(checked.message);
    amountInput.focus();
    return;
  }
  fieldError(undefined);
  if (attempt === undefined || attempt.cents !== checked.cents) {
    attempt = { key: newKey(), cents: checked.cents, tries: 0 };
  }
  const current = attempt;
  current.tries += 1;
  setBusy(true);
  showOutcome({ kind: "paying", text: `Paying ${formatCents(current.cents)}…` });
  let outcome: Outcome;
  let replayed = false;
  try {
    // The token first (from memory, unless it must be fetched: the flow shows that call first).
    await source.get();
    sendStep(current);
    const started = performance.now();
    const response = await source.fetch(`${brokerUrl}${PAY_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": current.key },
      body: JSON.stringify({
        transactionRequest: { transactionType: 1, amount: String(current.cents) },
      }),
    });
    // The status is read first; the body once, as text, however it came.
    const status = response.status;
    replayed = response.headers.get("idempotent-replayed") === "true";
    outcome = await readPayment(response);
    drawAnswer(outcome, status, Math.round(performance.now() - started), replayed);
  } catch (error) {
    outcome = explainThrown(error, navigator.onLine);
    if (outcome.from === "page") console.error(error);
  }
  if (outcome.kind === "paid") {
    if (!replayed) payments += 1;
    element("count").textContent = String(payments);
    attempt = undefined;
  } else if (!(outcome as Failure).retry) {
    attempt = undefined;
  }
  showOutcome(outcome);
  setBusy(false);
  await showToken().catch(() => undefined);
}

element<HTMLFormElement>("pay-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void pay();
});

amountInput.addEventListener("input", () => {
  if (!element("amount-error").hidden) fieldError(undefined);
  labelButton();
});

renewButton.addEventListener("click", () => {
  tokenReason = "asked";
  step("page", "page", "Renew token pressed: the page drops its token");
  void source
    .invalidate()
    .then(showToken, (error: unknown) => showOutcome(explainThrown(error, navigator.onLine)));
});

setInterval(() => void showToken().catch(() => undefined), 1000);
labelButton();
void showToken().catch((error: unknown) => showOutcome(explainThrown(error, navigator.onLine)));
