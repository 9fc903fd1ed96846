// The demo checkout page in real Chromium, against `npm start` (broker + emulator, ports 8787 and
// 8788): a payment and its flow; the token refreshed by time (the page's clock moved) and renewed
// by hand; invalid amounts refused at the field with no request sent; ten quick double clicks
// → exactly one payment (counted at the emulator and at the page's requests); the errors a person
// meets — iPOSpays answering 503, a non-JSON body, the network down, the broker refusing (503
// when it cannot get a provider token, 429 with a JSON body when the shop is over its rate limit)
// — each a sentence with what to do, never a SyntaxError, and "Try again" resending the same
// Idempotency-Key; the page on a phone in dark mode. Screenshots go to test-results/ (not in git):
// demo-desktop-light.png, demo-phone-dark.png, demo-error.png. Prints `demo chromium: pass` or
// `demo chromium: fail` and the reason.
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, findChromium } from "./chromium.mjs";

const ROOT = new URL("../..", import.meta.url).pathname;
const BROKER = "http://127.0.0.1:8787";
const EMULATOR = "http://127.0.0.1:8788";
const URL_DEMO = `${BROKER}/demo/`;
const TRANSACT = "POST /ipospays/api/v3/iposTransact";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const RESULTS = new URL("../../test-results/", import.meta.url);
const TIMEOUT_MS = 240_000;

function start() {
  const child = spawn("node", ["scripts/start.mjs"], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
  });
  let output = "";
  let exited = false;
  child.stdout.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr.on("data", (chunk) => {
    output += chunk;
  });
  child.on("exit", () => {
    exited = true;
  });
  // Ready when both answer (not by npm start's wording, which is its own to change).
  const ready = (async () => {
    const until = Date.now() + 120_000;
    for (;;) {
      if (exited) throw new Error(`npm start exited:\n${output.slice(-3000)}`);
      const up = await Promise.all(
        [URL_DEMO, `${EMULATOR}/`].map((url) =>
          fetch(url).then(
            (response) => response.ok,
            () => false,
          ),
        ),
      );
      if (up.every(Boolean)) return;
      if (Date.now() > until) throw new Error(`npm start not ready:\n${output.slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  })();
  const stop = () => {
    try {
      process.kill(-child.pid, "SIGINT");
    } catch {}
    setTimeout(() => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    }, 3000).unref();
  };
  return { ready, stop };
}

/** A control of the emulator (JSON, no Origin: what a page cannot send). */
async function control(method, path, body) {
  const response = await fetch(`${EMULATOR}/_emulator/${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`emulator ${method} ${path}: ${response.status}`);
  await response.body?.cancel();
}

/** Transact calls the emulator has answered since its last reset. */
async function transactCalls() {
  const calls = await (await fetch(`${EMULATOR}/_emulator/calls`)).json();
  return calls[TRANSACT] ?? 0;
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** A page of the demo, with what it sent to the proxy and anything that went wrong. */
async function openDemo(browser, options) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const problems = [];
  const payments = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("request", (request) => {
    if (!request.url().startsWith(`${BROKER}/`)) problems.push(`left the broker: ${request.url()}`);
    if (request.url().includes("/proxy/")) {
      payments.push({ key: request.headers()["idempotency-key"], body: request.postData() });
    }
  });
  return { context, page, problems, payments };
}

const text = (page, selector) => page.textContent(selector).then((value) => value ?? "");

async function waitForJtiChange(page, old) {
  await page.waitForFunction((previous) => {
    const now = document.getElementById("jti")?.textContent;
    return now !== undefined && now !== "–" && now !== previous;
  }, old);
  return text(page, "#jti");
}

/** Fills the amount, presses Pay, and waits for the page to settle on an outcome. */
async function payAndSettle(page, amount) {
  if (amount !== undefined) await page.fill("#amount", amount);
  await page.click("#pay");
  await page.waitForSelector('#result:is([data-state="ok"], [data-state="error"])');
  await page.waitForSelector("#pay:not([disabled])");
  return { state: await page.getAttribute("#result", "data-state"), said: await statusText(page) };
}

const statusText = (page) => text(page, "#status").then((value) => value.replace(/\s+/g, " "));

async function expectError(page, outcome, pieces, what) {
  check(outcome.state === "error", `${what}: the page says ${outcome.said}`);
  for (const piece of pieces)
    check(outcome.said.includes(piece), `${what}: "${piece}" missing from "${outcome.said}"`);
  check(!/SyntaxError|Unexpected token|JSON\.parse/.test(outcome.said), `${what}: ${outcome.said}`);
  check(
    (await page.getAttribute("#result", "data-state")) === "error",
    `${what}: not shown as an error`,
  );
}

async function desktop(browser) {
  const { context, page, problems, payments } = await openDemo(browser, {
    viewport: { width: 1024, height: 768 },
    colorScheme: "light",
  });
  const seen = {};
  try {
    // The page's own clock, so the test can move it past the token's refresh point.
    await page.clock.install();
    await page.goto(URL_DEMO);
    await page.waitForFunction(() => document.getElementById("jti")?.textContent !== "–");
    const firstJti = await text(page, "#jti");
    check((await text(page, "#scope")) === "ipospays:PaymentTokenization", "token scope");
    check(
      (await page.getAttribute("#status", "aria-live")) === "polite" &&
        (await page.getAttribute("#status", "role")) === "status",
      "the status is not a polite live region",
    );
    check((await page.getByLabel("Amount (USD)").count()) === 1, "the amount has no label");

    // 1. A payment, and its flow.
    let outcome = await payAndSettle(page, "12.50");
    check(
      outcome.state === "ok" && outcome.said.includes("Paid $12.50"),
      `payment: ${outcome.said}`,
    );
    check((await text(page, "#count")) === "1", "payments made is not 1");
    check(
      payments.length === 1 && UUID.test(payments[0].key ?? ""),
      "no UUID Idempotency-Key sent",
    );
    const flow = await text(page, "#flow");
    for (const piece of [
      "page token obtained",
      "POST /proxy/ipospays/api/v3/iposTransact",
      payments[0].key.slice(0, 8),
      "swapped for the broker's iPOSpays token",
      "HTTP 200",
    ]) {
      check(flow.includes(piece), `the flow lacks "${piece}": ${flow}`);
    }
    check(/\d\d:\d\d:\d\d\.\d{3}/.test(flow), "the flow shows no times");
    await page.screenshot({ path: new URL("demo-desktop-light.png", RESULTS).pathname });

    // 2. 65 s later (a 120 s page token refreshes at 60 s) the page refreshes it by itself.
    const lifeBefore = Number.parseInt(await text(page, "#life"), 10);
    await page.clock.fastForward(65_000);
    const refreshedJti = await waitForJtiChange(page, firstJti);
    check((await text(page, "#flow")).includes("refreshed ahead of expiry"), "no refresh step");
    outcome = await payAndSettle(page, "9.90");
    check(outcome.state === "ok", `payment after the refresh: ${outcome.said}`);
    check(payments[1].key !== payments[0].key, "a new payment reused the last key");

    // 3. "Renew token" drops it at once; the next payment goes with a new one.
    await page.click("#renew");
    const renewedJti = await waitForJtiChange(page, refreshedJti);
    check((await text(page, "#flow")).includes("renewed, as asked"), "no renewal step");
    const life = await text(page, "#life");
    check(/^\d+ s$/.test(life), `life left shows ${life}`);
    seen.tokens = `${firstJti.slice(0, 8)} → ${refreshedJti.slice(0, 8)} (by time) → ${renewedJti.slice(0, 8)} (renewed); life ${lifeBefore} s at first`;

    // 4. Invalid amounts: a message at the field, no request.
    const sentBefore = payments.length;
    const callsBefore = await transactCalls();
    const invalid = [
      ["", "Enter an amount"],
      ["   ", "Enter an amount"],
      ["0", "more than $0.00"],
      ["0.00", "more than $0.00"],
      ["-5", "cannot be negative"],
      ["abc", "in digits"],
      ["1e9", "in digits"],
      ["12,50", "in digits"],
      ["12.345", "at most two decimals"],
      ["10000.01", "The most this checkout takes is $10,000.00"],
      ["99999999999999999999", "The most this checkout takes is $10,000.00"],
    ];
    for (const [amount, message] of invalid) {
      await page.fill("#amount", amount);
      await page.click("#pay");
      const said = await text(page, "#amount-error");
      check(said.includes(message), `amount "${amount}": the field says "${said}"`);
      check(await page.isVisible("#amount-error"), `amount "${amount}": the message is hidden`);
      check(
        (await page.getAttribute("#amount", "aria-invalid")) === "true",
        `amount "${amount}": not aria-invalid`,
      );
    }
    await page.fill("#amount", "7.00");
    check(!(await page.isVisible("#amount-error")), "the field message stays after a fix");
    check(
      payments.length === sentBefore,
      `invalid amounts sent ${payments.length - sentBefore} requests`,
    );
    check((await transactCalls()) === callsBefore, "invalid amounts reached the emulator");
    seen.invalid = invalid.length;

    // 5. Ten quick double clicks while the payment is in flight: one payment.
    await control("POST", "faults", {
      provider: "ipospays",
      endpoint: "api",
      kind: "latency",
      ms: 3000,
      count: 1,
    });
    const box = await page.locator("#pay").boundingBox();
    const countBefore = Number(await text(page, "#count"));
    const before = { sent: payments.length, calls: await transactCalls() };
    const x = box.x + box.width / 2;
    const y = box.y + box.height / 2;
    await page.mouse.dblclick(x, y);
    const busy = await page.getAttribute("#pay", "aria-busy");
    const disabled = await page.isDisabled("#pay");
    for (let i = 1; i < 10; i++) await page.mouse.dblclick(x, y);
    await page.waitForSelector('#result[data-state="ok"]');
    await page.waitForSelector("#pay:not([disabled])");
    const made = (await transactCalls()) - before.calls;
    const sent = payments.length - before.sent;
    check(
      made === 1 && sent === 1,
      `ten double clicks: ${sent} requests sent, ${made} payments at the emulator`,
    );
    check(
      Number(await text(page, "#count")) === countBefore + 1,
      "payments made moved by more than one",
    );
    check(busy === "true" && disabled, "the button was not busy and disabled while paying");
    seen.clicks = `10 double clicks → ${sent} request, ${made} Transact call`;

    // 6. iPOSpays answers 503: a sentence, "Try again" with the same key, then paid.
    await control("POST", "faults", {
      provider: "ipospays",
      endpoint: "api",
      kind: "status",
      status: 503,
      count: 1,
    });
    outcome = await payAndSettle(page, "20.00");
    await expectError(
      page,
      outcome,
      ["iPOSpays is not available right now (HTTP 503", "Try again"],
      "provider 503",
    );
    check(
      (await text(page, "#pay")).startsWith("Try again"),
      "the button does not offer Try again",
    );
    const failedKey = payments.at(-1).key;
    // The error state: the payment card, where the sentence and "Try again" are.
    await page
      .locator("section.card")
      .first()
      .screenshot({ path: new URL("demo-error.png", RESULTS).pathname });
    outcome = await payAndSettle(page);
    check(outcome.state === "ok", `retry after a 503: ${outcome.said}`);
    check(payments.at(-1).key === failedKey, "the retry did not reuse the attempt's key");
    check(
      (await text(page, "#flow")).includes("try 2, same key"),
      "the flow does not show the retry",
    );

    // 7. A non-JSON body (an HTML page under 200).
    await control("POST", "faults", {
      provider: "ipospays",
      endpoint: "api",
      kind: "non_json",
      count: 1,
    });
    outcome = await payAndSettle(page, "3.00");
    await expectError(
      page,
      outcome,
      ["not with a payment result", "an HTML page"],
      "non-JSON body",
    );
    outcome = await payAndSettle(page);
    check(outcome.state === "ok", `retry after a non-JSON body: ${outcome.said}`);

    // 8. The network down.
    await context.setOffline(true);
    outcome = await payAndSettle(page, "4.00");
    await expectError(page, outcome, ["No answer came back", "offline"], "network down");
    const offlineKey = payments.at(-1)?.key;
    await context.setOffline(false);
    outcome = await payAndSettle(page);
    check(outcome.state === "ok", `retry after the network came back: ${outcome.said}`);
    check(offlineKey === undefined || payments.at(-1).key === offlineKey, "the retry changed key");

    // 9. The broker refuses: it cannot get an iPOSpays token (the emulator forgot the one it had).
    await control("POST", "reset");
    await control("POST", "faults", {
      provider: "ipospays",
      endpoint: "token",
      kind: "status",
      status: 503,
      count: 20,
    });
    outcome = await payAndSettle(page, "5.00");
    await expectError(
      page,
      outcome,
      ["The broker could not get a token from iPOSpays", "Nothing was charged"],
      "broker 503",
    );
    check(
      (await page.getAttribute("#result", "data-from")) === "broker",
      "not attributed to the broker",
    );
    await control("DELETE", "faults");
    for (let i = 0; i < 5 && outcome.state !== "ok"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1000 * i));
      outcome = await payAndSettle(page);
    }
    check(outcome.state === "ok", `retry once iPOSpays issues tokens again: ${outcome.said}`);

    // 10. A 4xx with a JSON body: the shop over its rate limit (120 a minute), the last step.
    const session = await fetch(`${BROKER}/demo/token`, {
      method: "POST",
      headers: { origin: BROKER, "content-type": "application/x-www-form-urlencoded" },
      body: "scope=ipospays:PaymentTokenization",
    });
    const { access_token: token } = await session.json();
    let limited = false;
    for (let i = 0; i < 200 && !limited; i++) {
      const response = await fetch(`${BROKER}/proxy/ipospays/api/v3/iposTransact`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: "{}",
      });
      await response.body?.cancel();
      limited = response.status === 429;
    }
    check(limited, "the broker never rate-limited 200 requests");
    outcome = await payAndSettle(page, "6.00");
    await expectError(
      page,
      outcome,
      ["holding back this shop's requests", "Try again in"],
      "broker 429",
    );
    check((await text(page, "#detail")).includes("HTTP 429"), "the 429 is not named");

    if (problems.length > 0) throw new Error(problems.join("\n"));
    return seen;
  } finally {
    await context.close();
  }
}

async function phone(browser) {
  const { context, page, problems } = await openDemo(browser, {
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    colorScheme: "dark",
  });
  try {
    await page.goto(URL_DEMO);
    await page.waitForFunction(() => document.getElementById("jti")?.textContent !== "–");
    const dark = await page.evaluate(() => matchMedia("(prefers-color-scheme: dark)").matches);
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    check(dark && background !== "rgb(246, 247, 249)", `dark mode not applied (${background})`);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    check(overflow <= 0, `the page is ${overflow} px wider than a phone`);
    return { page, problems, context };
  } catch (error) {
    await context.close();
    throw error;
  }
}

async function clickThrough(executablePath) {
  mkdirSync(RESULTS, { recursive: true });
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  try {
    // The phone first: the desktop run ends with the shop over its rate limit.
    const small = await phone(browser);
    try {
      await small.page.tap("#pay");
      await small.page.waitForSelector('#result[data-state="ok"]');
      await small.page.screenshot({ path: new URL("demo-phone-dark.png", RESULTS).pathname });
      if (small.problems.length > 0) throw new Error(small.problems.join("\n"));
    } finally {
      await small.context.close();
    }
    const seen = await desktop(browser);
    return `tokens ${seen.tokens}; ${seen.invalid} invalid amounts refused unsent; ${seen.clicks}; 503, non-JSON, offline, broker 503 and 429 explained; phone dark fits 390 px`;
  } finally {
    await browser.close();
  }
}

const deadline = setTimeout(() => {
  console.log("demo chromium: fail\n  timed out");
  process.exit(1);
}, TIMEOUT_MS);
const server = start();
try {
  const executablePath = await findChromium();
  await server.ready;
  const detail = await clickThrough(executablePath);
  console.log(`demo chromium: pass (${detail})`);
  server.stop();
  clearTimeout(deadline);
  setTimeout(() => process.exit(0), 500);
} catch (error) {
  console.log(`demo chromium: fail\n  ${String(error?.stack ?? error).replaceAll("\n", "\n  ")}`);
  server.stop();
  clearTimeout(deadline);
  setTimeout(() => process.exit(1), 500);
}
