// Browser tabs in real Chromium, from the packed package: three tabs of one origin, each with a
// page token source on the broker provider's `sessionUrl`, sharing edgetoken/browser's store
// (BroadcastChannel) and lease (Web Locks). A stand-in backend on loopback answers the session
// endpoint with 4-second tokens and counts every request; its API refuses any token past its
// life. What must hold:
//   - three tabs, each renewal: one session request between them;
//   - the tab holding the lock closed mid-refresh: another takes over, well within leaseMs;
//   - the holder hung (its JavaScript paused in the debugger): the others have a new token
//     within leaseMs, and the renewal after that is one request again (the lock taken over);
//   - no navigator.locks: every tab gets its tokens on its own;
//   - never an expired token, at the API or handed out with less than minRemainingMs left.
// Run from test-runtimes.mjs (`runtime chromium-tabs`), or alone: node test/runtimes/tabs.mjs
// after `npm pack` into a folder (KEEP_RUNTIMES_FOLDER keeps test-runtimes' one).
import { randomBytes } from "node:crypto";
import { copyFile, readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS } from "./chromium.mjs";
import { importMap } from "./import-map.mjs";

const TOKEN_SECONDS = 4;
/** The pages' refresh point: half the lifetime (refreshAhead 0.5, no jitter). */
const REFRESH_MS = (TOKEN_SECONDS * 1000) / 2;
const LEASE_MS = 3_000;
const TIMEOUT_MS = 180_000;

/**
 * @param {unknown} condition
 * @param {string} message
 * @returns {asserts condition}
 */
function check(condition, message) {
  if (!condition) throw new Error(message);
}

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The stand-in backend: the page, the package's files, `POST /session` (a token per request,
 * counted, held back on demand) and `POST /api` (200 with a live token, 401 otherwise).
 *
 * @param {string} folder where the tarball was installed
 * @param {string} page the tab's HTML
 */
async function backend(folder, page) {
  /** @type {Array<{ tab: string, at: number, token: string }>} */
  const sessions = [];
  /** @type {Map<string, number>} token → when it expires (this clock) */
  const issued = new Map();
  const refused = { unknown: 0, expired: 0 };
  let calls = 0;
  let holdNext = 0;
  /** @type {Array<() => void>} */
  const held = [];
  /** @type {Array<(entry: { tab: string, at: number }) => void>} */
  let waiters = [];

  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://x");
    if (request.method === "POST") {
      let body = "";
      for await (const chunk of request) body += chunk;
      if (url.pathname === "/session") {
        const tab = new URL(request.headers.referer ?? "http://x/").searchParams.get("tab") ?? "?";
        const entry = { tab, at: Date.now(), token: "" };
        sessions.push(entry);
        for (const waiter of waiters) waiter(entry);
        waiters = [];
        const answer = () => {
          const token = randomBytes(16).toString("hex");
          entry.token = token;
          issued.set(token, Date.now() + TOKEN_SECONDS * 1000);
          response.writeHead(200, {
            "content-type": "application/json",
            "cache-control": "no-store",
          });
          response.end(
            JSON.stringify({
              access_token: token,
              token_type: "Bearer",
              expires_in: TOKEN_SECONDS,
              scope: "ipospays:PaymentTokenization",
            }),
          );
        };
        if (holdNext > 0 && body.includes("scope=")) {
          holdNext -= 1;
          held.push(answer);
        } else {
          answer();
        }
        return;
      }
      if (url.pathname === "/api") {
        calls += 1;
        const token = (request.headers.authorization ?? "").replace(/^Bearer /, "");
        const until = issued.get(token);
        if (until === undefined) refused.unknown += 1;
        else if (Date.now() >= until) refused.expired += 1;
        const ok = until !== undefined && Date.now() < until;
        response.writeHead(ok ? 200 : 401, { "content-type": "application/json" }).end("{}");
        return;
      }
    }
    if (request.method !== "GET") {
      response.writeHead(405).end();
      return;
    }
    if (url.pathname === "/tabs/") {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page);
      return;
    }
    const file = normalize(join(folder, decodeURIComponent(url.pathname)));
    if (!file.startsWith(folder + sep) || ![".js", ".mjs"].includes(extname(file))) {
      response.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(file);
      response.writeHead(200, { "content-type": "text/javascript; charset=utf-8" }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(undefined));
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return {
    origin: `http://127.0.0.1:${address.port}`,
    sessions,
    refused,
    calls: () => calls,
    /** The next `n` session requests get no answer until `releaseHeld()`. */
    hold(/** @type {number} */ n) {
      holdNext = n;
    },
    releaseHeld() {
      for (const answer of held.splice(0)) answer();
    },
    /** The next session request, or undefined after `ms`. */
    nextSession(/** @type {number} */ ms) {
      return /** @type {Promise<{ tab: string, at: number } | undefined>} */ (
        new Promise((resolve) => {
          const timer = setTimeout(() => resolve(undefined), ms);
          waiters.push((entry) => {
            clearTimeout(timer);
            resolve(entry);
          });
        })
      );
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve(undefined));
      }),
  };
}

/** @param {{ imports: Record<string, string> }} map */
function tabPage(map) {
  return `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>edgetoken tab</title>
<link rel="icon" href="data:,">
<script type="importmap">${JSON.stringify(map)}</script>
<script type="module" src="/tabs-page.js"></script>
</html>
`;
}

/**
 * @typedef {import("playwright-core").Page} Page
 * @typedef {{ name: string, page: Page }} Tab
 */

/**
 * @param {import("playwright-core").BrowserContext} context
 * @param {string} origin
 * @param {string} name
 * @param {string[]} problems
 * @returns {Promise<Tab>}
 */
async function openTab(context, origin, name, problems) {
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  page.on("pageerror", (error) => problems.push(`tab ${name}: page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`tab ${name}: console: ${message.text()}`);
  });
  page.on("request", (request) => {
    if (!request.url().startsWith(`${origin}/`))
      problems.push(`tab ${name}: left loopback: ${request.url()}`);
  });
  await page.goto(`${origin}/tabs/?tab=${name}&leaseMs=${LEASE_MS}`);
  await page.waitForFunction(() => "tabReady" in window);
  return { name, page };
}

/** @param {Tab} tab @returns {Promise<{ value: string, expiresAt: number }>} */
const get = (tab) => tab.page.evaluate(() => /** @type {any} */ (window).tab.get());

/** Calls the API from every tab every 100 ms for `ms`; returns the statuses. */
async function traffic(/** @type {Tab[]} */ tabs, /** @type {number} */ ms) {
  const statuses = await Promise.all(
    tabs.map((tab) =>
      tab.page.evaluate(async (ms) => {
        const seen = [];
        const end = Date.now() + ms;
        while (Date.now() < end) {
          seen.push(await /** @type {any} */ (window).tab.call());
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return seen;
      }, ms),
    ),
  );
  return statuses.flat();
}

/** The least life any token a tab was handed had left then (ms). */
async function leastLeft(/** @type {Tab[]} */ tabs) {
  let least = Number.POSITIVE_INFINITY;
  for (const tab of tabs) {
    const served = await tab.page.evaluate(() => /** @type {any} */ (window).tab.served);
    for (const { left } of served) least = Math.min(least, left);
  }
  return least;
}

/** The smallest gap between two session requests in a row (ms). */
function smallestGap(/** @type {Array<{ at: number }>} */ sessions) {
  let gap = Number.POSITIVE_INFINITY;
  for (let i = 1; i < sessions.length; i++) {
    gap = Math.min(
      gap,
      /** @type {any} */ (sessions[i]).at - /** @type {any} */ (sessions[i - 1]).at,
    );
  }
  return gap;
}

/** Waits past the tokens' refresh point, then has every tab ask (their renewals start). */
async function renewal(/** @type {Tab[]} */ tabs, /** @type {number} */ obtainedAt) {
  await sleep(Math.max(0, obtainedAt + REFRESH_MS + 100 - Date.now()));
  await Promise.all(tabs.map(get));
}

/**
 * @param {import("playwright-core").Browser} browser
 * @param {string} folder
 * @param {string} page
 * @param {string[]} figures
 */
async function withLocks(browser, folder, page, figures) {
  const server = await backend(folder, page);
  const context = await browser.newContext();
  /** @type {string[]} */
  const problems = [];
  try {
    const tabs = [];
    for (const name of ["1", "2", "3"])
      tabs.push(await openTab(context, server.origin, name, problems));
    for (const tab of tabs) {
      check(
        await tab.page.evaluate(() => /** @type {any} */ (window).tab.leased),
        "no Web Locks lease",
      );
    }

    // Three tabs ask at once: one session request.
    const first = await Promise.all(tabs.map(get));
    check(
      server.sessions.length === 1,
      `three tabs' first get(): ${server.sessions.length} session requests`,
    );
    check(new Set(first.map((t) => t.value)).size === 1, "the three tabs hold different tokens");

    // 9 s of API calls from each tab, 4 s tokens renewed every 2 s: one request per renewal.
    const statuses = await traffic(tabs, 9_000);
    const renewals = server.sessions.length - 1;
    const gap = smallestGap(server.sessions);
    check(
      statuses.every((s) => s === 200),
      `API statuses: ${[...new Set(statuses)].join(", ")}`,
    );
    check(renewals >= 3, `9 s of 4 s tokens made ${renewals} renewals`);
    check(
      gap > REFRESH_MS / 2,
      `two session requests ${gap} ms apart: more than one request for a renewal (${server.sessions.map((s) => `${s.tab}@${s.at}`).join(" ")})`,
    );
    figures.push(
      `3 tabs: ${statuses.length} API calls over 9 s, ${renewals} renewals, ${renewals} session requests (closest two ${gap} ms apart)`,
    );

    // The lock's holder closed while its session request is out: another tab takes over.
    server.hold(1);
    const before = server.sessions.length;
    const obtainedAt = Math.max(...server.sessions.map((s) => s.at));
    const heldRequest = server.nextSession(10_000);
    await renewal(tabs, obtainedAt);
    const holder = await heldRequest;
    check(holder !== undefined, "no tab asked for a token past the refresh point");
    await sleep(300); // the others are waiting on the lock by now
    const closing = tabs.find((tab) => tab.name === holder.tab);
    check(closing !== undefined, `the session request came from an unknown tab ${holder.tab}`);
    const takeover = server.nextSession(LEASE_MS + 5_000);
    const closedAt = Date.now();
    await closing.page.close();
    const next = await takeover;
    check(next !== undefined, "nobody took over from the closed tab");
    const tookMs = next.at - closedAt;
    check(next.tab !== holder.tab, `the closed tab ${holder.tab} asked again`);
    check(
      tookMs < LEASE_MS,
      `tab ${next.tab} took over ${tookMs} ms after the holder closed (leaseMs ${LEASE_MS})`,
    );
    const open = tabs.filter((tab) => tab !== closing);
    await sleep(300);
    const after = await Promise.all(open.map(get));
    check(new Set(after.map((t) => t.value)).size === 1, "the two tabs left disagree on the token");
    check(
      server.sessions.length === before + 2,
      `closed holder: ${server.sessions.length - before} session requests, expected 2 (the closed one's and the takeover)`,
    );
    figures.push(
      `holder tab ${holder.tab} closed mid-refresh: tab ${next.tab} asked ${tookMs} ms later (bound ${LEASE_MS} ms)`,
    );

    // A third tab again, just after a renewal (it asks the others for the token: no session
    // request), then the holder hangs: its JavaScript paused in the debugger, the lock its own.
    await renewal(open, next.at);
    await sleep(300);
    const third = await openTab(context, server.origin, "4", problems);
    const sessionsBefore = server.sessions.length;
    const adopted = await get(third);
    check(
      server.sessions.length === sessionsBefore,
      "a new tab asked the backend instead of the other tabs",
    );
    const current = await Promise.all(open.map(get));
    check(
      current.every((t) => t.value === adopted.value),
      "the new tab holds another token than the others",
    );
    const live = [...open, third];

    server.hold(1);
    const hangStart = server.sessions.length;
    const hungRequest = server.nextSession(10_000);
    await renewal(live, Math.max(...server.sessions.map((s) => s.at)));
    const hung = await hungRequest;
    check(hung !== undefined, "no tab asked for a token past the refresh point (hang)");
    const hanging = /** @type {Tab} */ (live.find((tab) => tab.name === hung.tab));
    const debuggerSession = await context.newCDPSession(hanging.page);
    await debuggerSession.send("Debugger.enable");
    await debuggerSession.send("Debugger.pause");
    // Something to run, so the pause takes hold (a timer of the page's, as any page has).
    hanging.page.evaluate(() => 0).catch(() => {});
    const hungAt = Date.now();
    const others = live.filter((tab) => tab !== hanging);
    // The others stop waiting within leaseMs and ask themselves (the hung one holds the lock).
    const renewed = await Promise.race([
      (async () => {
        for (;;) {
          const tokens = await Promise.all(others.map(get));
          if (tokens.every((t) => t.value !== adopted.value)) return Date.now() - hungAt;
          await sleep(100);
        }
      })(),
      sleep(LEASE_MS + 5_000).then(() => undefined),
    ]);
    check(
      renewed !== undefined,
      `the tabs left were stuck behind the hung holder past ${LEASE_MS + 5_000} ms`,
    );
    const duringHang = server.sessions.length - hangStart - 1;
    // The renewal after that: one request (the hung tab's lock taken over), none expired.
    const beforeNext = server.sessions.length;
    const nextStatuses = await traffic(others, REFRESH_MS + 1_000);
    const nextRenewal = server.sessions.length - beforeNext;
    check(
      nextStatuses.every((s) => s === 200),
      `API statuses after the hang: ${[...new Set(nextStatuses)].join(", ")}`,
    );
    check(
      nextRenewal === 1,
      `the renewal after the hang made ${nextRenewal} session requests, expected 1`,
    );
    figures.push(
      `holder tab ${hung.tab} hung: the other two renewed ${renewed} ms later (${duringHang} requests; leaseMs ${LEASE_MS}); the next renewal: ${nextRenewal} request`,
    );
    await debuggerSession.send("Debugger.resume").catch(() => {});
    server.releaseHeld();

    const least = await leastLeft(others);
    check(least >= 1_000, `a tab was handed a token with ${least} ms left (minRemainingMs 1000)`);
    check(
      server.refused.expired === 0 && server.refused.unknown === 0,
      `API refused ${JSON.stringify(server.refused)}`,
    );
    figures.push(
      `never expired: ${server.calls()} API calls, 0 refused; least life handed out ${least} ms`,
    );
    check(problems.length === 0, problems.join("\n"));
  } catch (error) {
    // What each tab's source reported (names and numbers only) and when each session request came.
    const lines = [error instanceof Error ? error.message : String(error)];
    lines.push(
      `sessions: ${server.sessions.map((entry) => `${entry.tab}@${entry.at % 100_000}`).join(" ")}`,
    );
    for (const page of context.pages()) {
      const events = await Promise.race([
        page.evaluate(() => /** @type {any} */ (window).tab.events.slice(-40)).catch(() => []),
        sleep(2_000).then(() => ["(no answer)"]),
      ]);
      const name = new URL(page.url()).searchParams.get("tab");
      const shown = events.map(
        (/** @type {any} */ e) =>
          `${e.type}${e.outcome ? `:${e.outcome}` : ""}${e.from ? `:${e.from}` : ""}@${e.at % 100_000}`,
      );
      lines.push(`tab ${name}: ${shown.join(" ")}`);
    }
    throw new Error(lines.join("\n"));
  } finally {
    await context.close().catch(() => {});
    await server.close();
  }
}

/**
 * No navigator.locks (an old browser, a page that is not a secure context): every tab on its
 * own, each of them working.
 *
 * @param {import("playwright-core").Browser} browser
 * @param {string} folder
 * @param {string} page
 * @param {string[]} figures
 */
async function withoutLocks(browser, folder, page, figures) {
  const server = await backend(folder, page);
  const context = await browser.newContext();
  await context.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, "locks", {
      get: () => undefined,
      configurable: true,
    });
  });
  /** @type {string[]} */
  const problems = [];
  try {
    const tabs = [];
    for (const name of ["1", "2", "3"])
      tabs.push(await openTab(context, server.origin, name, problems));
    for (const tab of tabs) {
      check(
        !(await tab.page.evaluate(() => /** @type {any} */ (window).tab.leased)),
        "a lease without navigator.locks",
      );
    }
    await Promise.all(tabs.map(get));
    const statuses = await traffic(tabs, 5_000);
    check(
      statuses.every((s) => s === 200),
      `API statuses: ${[...new Set(statuses)].join(", ")}`,
    );
    const least = await leastLeft(tabs);
    check(least >= 1_000, `a tab was handed a token with ${least} ms left`);
    check(
      server.refused.expired === 0 && server.refused.unknown === 0,
      `API refused ${JSON.stringify(server.refused)}`,
    );
    // Each renewal: at most one request per tab.
    const lifetimes = Math.ceil(5_500 / REFRESH_MS) + 1;
    check(
      server.sessions.length <= 3 * lifetimes,
      `${server.sessions.length} session requests in 5 s`,
    );
    const byTab = new Set(server.sessions.map((s) => s.tab));
    figures.push(
      `no navigator.locks: 3 tabs, ${statuses.length} API calls, 0 refused, ${server.sessions.length} session requests from ${byTab.size} tabs; least life ${least} ms`,
    );
    check(problems.length === 0, problems.join("\n"));
  } finally {
    await context.close().catch(() => {});
    await server.close();
  }
}

/**
 * The whole check, from a folder where the packed tarball is installed.
 *
 * @param {{ executablePath: string, folder: string }} options
 * @returns {Promise<string[]>} the figures
 */
export async function checkTabs({ executablePath, folder }) {
  await copyFile(
    fileURLToPath(new URL("tabs-page.js", import.meta.url)),
    join(folder, "tabs-page.js"),
  );
  const map = await importMap(folder, "edgetoken", ["edgetoken", "edgetoken/browser"]);
  const page = tabPage(map);
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, timeout: 60_000 });
  const deadline = setTimeout(() => browser.close().catch(() => {}), TIMEOUT_MS);
  /** @type {string[]} */
  const figures = [];
  try {
    await withLocks(browser, folder, page, figures);
    await withoutLocks(browser, folder, page, figures);
    return figures;
  } finally {
    clearTimeout(deadline);
    await browser.close().catch(() => {});
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const folder = process.argv[2];
  if (folder === undefined)
    throw new Error("usage: node test/runtimes/tabs.mjs <folder with the tarball installed>");
  const { findChromium } = await import("./chromium.mjs");
  const figures = await checkTabs({ executablePath: await findChromium(), folder });
  for (const line of figures) console.log(line);
}
