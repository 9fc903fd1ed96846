/**
 * The demo page's two pure parts: the amount check (what the field says, before anything is
 * sent) and how an answer or a failure becomes a sentence (status first, body as text, JSON only
 * when labelled and well-formed — never a SyntaxError).
 */
import { describe, expect, it } from "vitest";
import { checkAmount, formatCents, MAX_AMOUNT_CENTS } from "../../demo/amount.ts";
import { explainThrown, readPayment } from "../../demo/explain.ts";
import { EdgeTokenError } from "../../src/index.ts";

describe("the demo's amount check", () => {
  it("takes dollars with up to two decimals, as exact cents", () => {
    expect(checkAmount("12.50")).toEqual({ ok: true, cents: 1250 });
    expect(checkAmount(" $0.01 ")).toEqual({ ok: true, cents: 1 });
    expect(checkAmount("7")).toEqual({ ok: true, cents: 700 });
    expect(checkAmount("0.1")).toEqual({ ok: true, cents: 10 });
    expect(checkAmount(".5")).toEqual({ ok: true, cents: 50 });
    expect(checkAmount("10000.00")).toEqual({ ok: true, cents: MAX_AMOUNT_CENTS });
    expect(checkAmount("000019.99")).toEqual({ ok: true, cents: 1999 });
  });

  it.each([
    ["", "Enter an amount"],
    ["  ", "Enter an amount"],
    ["0", "more than $0.00"],
    ["0.00", "more than $0.00"],
    ["-5", "cannot be negative"],
    ["-0.01", "cannot be negative"],
    ["abc", "in digits"],
    ["1e9", "in digits"],
    ["12,50", "in digits"],
    ["Infinity", "in digits"],
    ["0x10", "in digits"],
    [".", "in digits"],
    ["12.345", "at most two decimals"],
    ["10000.01", "$10,000.00"],
    ["99999999999999999999999", "$10,000.00"],
  ])("refuses %j: %s", (input, message) => {
    const checked = checkAmount(input);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.message).toContain(message);
  });

  it("formats cents for people", () => {
    expect(formatCents(1250)).toBe("$12.50");
    expect(formatCents(1_000_000)).toBe("$10,000.00");
    expect(formatCents(5)).toBe("$0.05");
  });
});

const answer = (
  status: number,
  body: string,
  type?: string,
  headers: Record<string, string> = {},
) =>
  new Response(body, {
    status,
    headers: { ...(type === undefined ? {} : { "content-type": type }), ...headers },
  });
const JSON_TYPE = "application/json";

describe("the demo's reading of a payment answer", () => {
  it("a payment: its reference, amount and message", async () => {
    const outcome = await readPayment(
      answer(
        200,
        JSON.stringify({
          iposhpresponse: {
            responseCode: "200",
            responseMessage: "Successful",
            transactionReferenceId: "ref-1",
            amount: "1250",
          },
        }),
        JSON_TYPE,
      ),
    );
    expect(outcome).toEqual({
      kind: "paid",
      reference: "ref-1",
      amount: "1250",
      message: "Successful",
    });
  });

  it("iPOSpays 503 with a text body: not available, retry with the same key", async () => {
    const outcome = await readPayment(answer(503, "Service Unavailable", "text/plain"));
    expect(outcome).toMatchObject({ kind: "failed", from: "provider", retry: true });
    if (outcome.kind === "failed") {
      expect(outcome.title).toBe(
        "iPOSpays is not available right now (HTTP 503 Service Unavailable).",
      );
      expect(outcome.action).toContain("Idempotency-Key");
    }
  });

  it("a 503 labelled JSON that does not parse is no SyntaxError", async () => {
    const outcome = await readPayment(answer(503, "<html>oops", JSON_TYPE));
    expect(outcome.kind).toBe("failed");
    expect(JSON.stringify(outcome)).not.toMatch(/SyntaxError|Unexpected token/);
  });

  it("the broker's refusals: rate limit with its wait, no provider token, a setup problem", async () => {
    const limited = await readPayment(
      answer(
        429,
        JSON.stringify({
          error: "rate_limited",
          error_description:
            "Too many requests (this client, or failed attempts from this source); retry in 12 s.",
        }),
        JSON_TYPE,
        { "retry-after": "12" },
      ),
    );
    expect(limited).toMatchObject({ kind: "failed", from: "broker", retry: true });
    if (limited.kind === "failed") {
      expect(limited.action).toContain("in 12 s");
      expect(limited.detail).toBe("HTTP 429 Too Many Requests · broker error rate_limited");
    }
    const noToken = await readPayment(
      answer(
        503,
        JSON.stringify({
          error: "temporarily_unavailable",
          error_description: "ipospays did not issue a token; try again later.",
        }),
        JSON_TYPE,
      ),
    );
    expect(noToken).toMatchObject({ from: "broker", retry: true });
    if (noToken.kind === "failed")
      expect(noToken.title).toContain("could not get a token from iPOSpays");
    const origin = await readPayment(
      answer(
        403,
        JSON.stringify({
          error: "origin_not_allowed",
          error_description: "This origin is not allowed for this client.",
        }),
        JSON_TYPE,
      ),
    );
    expect(origin).toMatchObject({ from: "broker", retry: false });
  });

  it("iPOSpays' own error shape, under 4xx or 200: its message, no retry", async () => {
    const refused = await readPayment(
      answer(
        401,
        JSON.stringify({
          errorCode: "AUTH_ERR_006",
          errorMessage: "Invalid Token, Please try with a Valid Token.",
        }),
        JSON_TYPE,
      ),
    );
    expect(refused).toMatchObject({ from: "provider", retry: false });
    if (refused.kind === "failed") {
      expect(refused.title).toBe(
        "iPOSpays refused the payment: Invalid Token, Please try with a Valid Token.",
      );
      expect(refused.detail).toBe("HTTP 401 Unauthorized · iPOSpays AUTH_ERR_006");
    }
    const under200 = await readPayment(
      answer(
        200,
        JSON.stringify({ errorCode: "AUTH_ERR_006", errorMessage: "Invalid Token" }),
        JSON_TYPE,
      ),
    );
    expect(under200).toMatchObject({ kind: "failed", from: "provider" });
  });

  it("an HTML page or JSON of another shape under 200: outcome unknown, retry with the same key", async () => {
    const html = await readPayment(answer(200, "<!doctype html><p>hi</p>", "text/html"));
    expect(html).toMatchObject({ kind: "failed", retry: true });
    if (html.kind === "failed") expect(html.title).toContain("an HTML page");
    const shape = await readPayment(
      answer(200, JSON.stringify({ iposhpresponse: "Successful" }), JSON_TYPE),
    );
    expect(shape).toMatchObject({ kind: "failed", retry: true });
    if (shape.kind === "failed") expect(shape.title).toContain("JSON of another shape");
  });

  it("quotes a server's words only short and printable", async () => {
    const long = `${"x".repeat(400)}\u0000\u001b[31m`;
    const outcome = await readPayment(
      answer(400, JSON.stringify({ error: "invalid_request", error_description: long }), JSON_TYPE),
    );
    if (outcome.kind !== "failed") throw new Error("not a failure");
    expect(outcome.title.length).toBeLessThan(220);
    expect(outcome.title).not.toMatch(/\p{Cc}/u);
  });
});

describe("the demo's reading of a payment that threw", () => {
  it("no answer: the connection, retry with the same key; offline said so", () => {
    const failed = new EdgeTokenError("request_failed", "did not answer");
    expect(explainThrown(failed, true)).toMatchObject({ from: "network", retry: true });
    expect(explainThrown(failed, false).action).toContain("offline");
  });

  it("no page token: the backend's status, or the network", () => {
    expect(
      explainThrown(new EdgeTokenError("upstream_unavailable", "x", { status: 503 }), true),
    ).toMatchObject({ from: "backend", retry: true });
    expect(explainThrown(new EdgeTokenError("upstream_unavailable", "x"), true)).toMatchObject({
      from: "network",
    });
    expect(explainThrown(new EdgeTokenError("credentials", "x"), true)).toMatchObject({
      from: "backend",
      retry: false,
    });
  });

  it("anything else is the page's own trouble, said without the error's own words", () => {
    const outcome = explainThrown(new SyntaxError("Unexpected token < in JSON"), true);
    expect(outcome).toMatchObject({ from: "page", retry: false });
    expect(JSON.stringify(outcome)).not.toMatch(/SyntaxError|Unexpected token/);
  });
});
