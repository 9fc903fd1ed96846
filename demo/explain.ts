/**
 * What the page tells a person about a payment: the answer read status first, the body as text,
 * JSON parsed only when it says it is JSON and then checked for its shape — so a 503 page, an
 * HTML body or a truncated answer is a sentence, never a `SyntaxError`. Each failure says who
 * answered (iPOSpays, the broker, the network, the page's backend), what happened, and what to
 * do. No DOM here: the tests run it as is.
 */
import { isEdgeTokenError } from "../src/index.ts";

/** Who a failure came from: the steps of the flow the page shows. */
export type Origin = "provider" | "broker" | "backend" | "network" | "page";

export type Outcome =
  | { kind: "paid"; reference: string; amount: string | undefined; message: string }
  | Failure;

export interface Failure {
  kind: "failed";
  from: Origin;
  /** One sentence: what happened. */
  title: string;
  /** What to do about it. */
  action: string;
  /** Whether "Try again" should resend the same attempt (same Idempotency-Key). */
  retry: boolean;
  /** Status and codes, for the curious: never a body, a token or a header value. */
  detail: string;
}

const PROVIDER = "iPOSpays";

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Payload Too Large",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** "HTTP 503 Service Unavailable". */
export function httpStatus(status: number): string {
  const text = STATUS_TEXT[status];
  return text === undefined ? `HTTP ${status}` : `HTTP ${status} ${text}`;
}

/** A short, printable piece of what a server said: no control characters, at most 160 chars. */
function said(value: string): string {
  const clean = value.replace(/\p{Cc}+/gu, " ").trim();
  return clean.length > 160 ? `${clean.slice(0, 157)}…` : clean;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const stringField = (body: Record<string, unknown>, name: string): string | undefined => {
  const value = body[name];
  return typeof value === "string" && value.trim() !== "" ? said(value) : undefined;
};

/** The body as JSON when it is labelled JSON and parses; `undefined` otherwise. */
function jsonOf(contentType: string | null, text: string): unknown {
  const type = contentType?.split(";")[0]?.trim().toLowerCase() ?? "";
  if (type !== "application/json" && !type.endsWith("+json")) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describeBody(contentType: string | null, text: string): string {
  if (text.trim() === "") return "an empty body";
  const type = contentType?.split(";")[0]?.trim().toLowerCase() ?? "";
  if (type === "text/html" || /^\s*</.test(text)) return "an HTML page";
  if (type === "application/json" || type.endsWith("+json")) return "JSON that does not parse";
  return type === "" ? "a body of no stated type" : `a ${type} body`;
}

const SAFE_RETRY =
  "Try again: the retry carries this payment's Idempotency-Key, so it cannot be charged twice.";

/** Seconds from a `Retry-After` header (delay-seconds only), when it has one. */
function retryAfter(headers: Headers): number | undefined {
  const value = headers.get("retry-after");
  return value !== null && /^\d{1,6}$/.test(value) ? Number(value) : undefined;
}

/** The broker's own refusal (RFC 6749 §5.2 / RFC 6750 §3 JSON): what it means for a payer. */
function brokerRefusal(
  status: number,
  error: string,
  description: string,
  headers: Headers,
): Failure {
  const detail = `${httpStatus(status)} · broker error ${error}`;
  const wait = retryAfter(headers);
  const base = { kind: "failed", from: "broker", detail } as const;
  switch (error) {
    case "rate_limited":
      return {
        ...base,
        title: "The broker is holding back this shop's requests for a moment.",
        action: `Try again ${wait === undefined ? "in a minute" : `in ${wait} s`}; nothing was charged.`,
        retry: true,
      };
    case "temporarily_unavailable":
      return {
        ...base,
        title: `The broker could not get a token from ${PROVIDER} to pay with: ${description}`,
        action: `Nothing was charged. Try again ${wait === undefined ? "in a moment" : `in ${wait} s`}.`,
        retry: true,
      };
    case "bad_gateway":
    case "upstream_timeout":
      return {
        ...base,
        title:
          error === "bad_gateway"
            ? `The broker could not reach ${PROVIDER}.`
            : `${PROVIDER} did not answer the broker in time.`,
        action: `The payment may or may not have reached ${PROVIDER}. ${SAFE_RETRY}`,
        retry: true,
      };
    case "invalid_token":
      return {
        ...base,
        title: "The broker did not accept this page's token, even a renewed one.",
        action: "Press Renew token, then pay again. Nothing was charged.",
        retry: false,
      };
    case "origin_not_allowed":
    case "insufficient_scope":
      return {
        ...base,
        title: `The broker refused this page: ${description}`,
        action:
          "This is the shop's setup, not your card: the client's origins and scopes in BROKER_CLIENTS must allow this page. Nothing was charged.",
        retry: false,
      };
    default:
      return {
        ...base,
        title: `The broker refused the payment: ${description}`,
        action:
          status >= 500
            ? "Nothing was charged. Try again in a moment."
            : "Nothing was charged. Reload the page; if it happens again, the shop's setup needs a look.",
        retry: status >= 500,
      };
  }
}

/** A payment's answer from the proxy, as a person should hear it. Reads the body once, as text. */
export async function readPayment(response: Response): Promise<Outcome> {
  const { status, headers } = response;
  const contentType = headers.get("content-type");
  let text: string;
  try {
    text = await response.text();
  } catch {
    return {
      kind: "failed",
      from: "network",
      title: `The answer from ${PROVIDER} was cut off (${httpStatus(status)}).`,
      action: `Whether it was charged is not known. ${SAFE_RETRY}`,
      retry: true,
      detail: `${httpStatus(status)} · body unreadable`,
    };
  }
  const body = jsonOf(contentType, text);
  if (isRecord(body)) {
    const error = stringField(body, "error");
    const description = stringField(body, "error_description");
    if (error !== undefined && description !== undefined && status >= 400) {
      return brokerRefusal(status, error, description, headers);
    }
    const payment = body.iposhpresponse;
    if (status >= 200 && status < 300 && isRecord(payment)) {
      const reference = stringField(payment, "transactionReferenceId");
      const code = stringField(payment, "responseCode");
      if (reference !== undefined && (code === "200" || code === "00")) {
        const amount = payment.amount;
        return {
          kind: "paid",
          reference,
          amount:
            typeof amount === "string" || typeof amount === "number" ? String(amount) : undefined,
          message: stringField(payment, "responseMessage") ?? "Successful",
        };
      }
    }
    const code = stringField(body, "errorCode");
    const message = stringField(body, "errorMessage");
    if (code !== undefined || message !== undefined) {
      const tokenProblem = status === 401 || /^AUTH_ERR_00[678]$/.test(code ?? "");
      return {
        kind: "failed",
        from: "provider",
        title: `${PROVIDER} refused the payment: ${message ?? "no reason given"}`,
        action: tokenProblem
          ? "Press Renew token, then pay again. Nothing was charged."
          : code === "IDEMPOTENCY_KEY_REUSED"
            ? "This attempt's key was already used for another amount: pay again as a new payment."
            : "Nothing was charged. Check the amount and pay again.",
        retry: false,
        detail: `${httpStatus(status)} · ${PROVIDER} ${code ?? "error"}`,
      };
    }
  }
  const what = body === undefined ? describeBody(contentType, text) : "JSON of another shape";
  if (status >= 500) {
    return {
      kind: "failed",
      from: "provider",
      title: `${PROVIDER} is not available right now (${httpStatus(status)}).`,
      action: `It did not take the payment. ${SAFE_RETRY}`,
      retry: true,
      detail: `${httpStatus(status)} · ${what} from ${PROVIDER}, through the broker`,
    };
  }
  if (status >= 400) {
    return {
      kind: "failed",
      from: "provider",
      title: `${PROVIDER} refused the request (${httpStatus(status)}) without saying why.`,
      action:
        "Nothing was charged. Check the amount and pay again; if it lasts, the shop needs to look.",
      retry: false,
      detail: `${httpStatus(status)} · ${what}`,
    };
  }
  return {
    kind: "failed",
    from: "provider",
    title: `${PROVIDER} answered, but not with a payment result (${what}, ${httpStatus(status)}).`,
    action: `Whether it was charged is not known. ${SAFE_RETRY}`,
    retry: true,
    detail: `${httpStatus(status)} · ${what}`,
  };
}

/**
 * A payment that threw: no answer came (`request_failed`: the network, or the broker out of
 * reach), or no page token could be had from the backend (the token source's codes).
 * `online` is `navigator.onLine`.
 */
export function explainThrown(error: unknown, online: boolean): Failure {
  const offline = online ? "" : " This device says it is offline: check the connection first.";
  if (!isEdgeTokenError(error)) {
    return {
      kind: "failed",
      from: "page",
      title: "Something unexpected went wrong in this page.",
      action: "Reload the page and pay again.",
      retry: false,
      detail: "an error in the page's own script: the browser's console has it",
    };
  }
  const detail = `edgetoken ${error.code}${error.status === undefined ? "" : ` · ${httpStatus(error.status)}`}`;
  switch (error.code) {
    case "request_failed":
      return {
        kind: "failed",
        from: "network",
        title: "No answer came back: the connection to the checkout server failed.",
        action: `If the payment had already left, it may have gone through. ${SAFE_RETRY}${offline}`,
        retry: true,
        detail,
      };
    case "upstream_unavailable":
    case "timeout":
    case "invalid_response":
    case "response_too_large":
      return {
        kind: "failed",
        from: error.status === undefined ? "network" : "backend",
        title:
          error.status === undefined
            ? "The page could not reach its backend for a payment token."
            : `The page's backend could not issue a payment token (${httpStatus(error.status)}).`,
        action: `Nothing was charged. Try again in a moment.${offline}`,
        retry: true,
        detail,
      };
    case "rate_limited": {
      const seconds =
        error.retryAfterMs === undefined ? undefined : Math.ceil(error.retryAfterMs / 1000);
      return {
        kind: "failed",
        from: "backend",
        title: "The page asked its backend for tokens too often.",
        action: `Nothing was charged. Try again ${seconds === undefined ? "in a minute" : `in ${seconds} s`}.`,
        retry: true,
        detail,
      };
    }
    case "aborted":
      return {
        kind: "failed",
        from: "page",
        title: "The payment was stopped before it was sent.",
        action: "Pay again when ready.",
        retry: true,
        detail,
      };
    default:
      return {
        kind: "failed",
        from: "backend",
        title: "The page's backend refused to give it a payment token.",
        action:
          "Nothing was charged. This is the shop's setup (the demo client, its scopes or origins), not your card.",
        retry: false,
        detail,
      };
  }
}
