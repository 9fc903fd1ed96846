// The demo checkout page in real Chromium: `npm start` (broker + emulator), then a click-through —
// pay, let the page refresh its token by time (its clock moved), pay, renew, pay — and a screenshot kept out of git
// (test-results/demo.png). Prints `demo chromium: pass` or `demo chromium: fail` and the reason.
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, findChromium } from "./chromium.mjs";

const ROOT = new URL("../..", import.meta.url).pathname;
const URL_DEMO = "http://127.0.0.1:8787/demo/";
const TIMEOUT_MS = 120_000;

function start() {
  const child = spawn("node", ["scripts/start.mjs"], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
  });
  let output = "";
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`npm start not ready:\n${output.slice(-3000)}`)),
      90_000,
    );
    const onData = (chunk) => {
      output += chunk;
      if (output.includes("edgetoken is running")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) =>
      reject(new Error(`npm start exited with ${code}:\n${output.slice(-3000)}`)),
    );
  });
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

async function clickThrough(executablePath) {
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  const problems = [];
  try {
    const page = await browser.newPage({ viewport: { width: 800, height: 720 } });
    page.setDefaultTimeout(30_000);
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("request", (request) => {
      if (!request.url().startsWith("http://127.0.0.1:8787/"))
        problems.push(`left the broker: ${request.url()}`);
    });
    // The page's own clock, so the test can move it past the token's refresh point.
    await page.clock.install();
    await page.goto(URL_DEMO);
    await page.waitForFunction(() => document.getElementById("jti")?.textContent !== "–");
    const firstJti = await page.textContent("#jti");
    const scope = await page.textContent("#scope");
    if (scope !== "ipospays:PaymentTokenization") throw new Error(`token scope is ${scope}`);

    await page.click("#pay");
    await page.waitForSelector('#result[data-state="ok"]');
    await page.waitForFunction(() => document.getElementById("count")?.textContent === "1");

    // 65 s later (a 120 s page token refreshes at 60 s) the page refreshes it by itself.
    await page.clock.fastForward(65_000);
    await page.waitForFunction((old) => {
      const now = document.getElementById("jti")?.textContent;
      return now !== undefined && now !== "–" && now !== old;
    }, firstJti);
    const refreshedJti = await page.textContent("#jti");
    await page.click("#pay");
    await page.waitForFunction(() => document.getElementById("count")?.textContent === "2");
    if ((await page.getAttribute("#result", "data-state")) !== "ok") {
      throw new Error(`payment after the refresh: ${await page.textContent("#result")}`);
    }

    // "Renew token" drops it at once; the next payment goes with a new one.
    await page.click("#renew");
    await page.waitForFunction((old) => {
      const now = document.getElementById("jti")?.textContent;
      return now !== undefined && now !== "–" && now !== old;
    }, refreshedJti);

    await page.click("#pay");
    await page.waitForFunction(() => document.getElementById("count")?.textContent === "3");
    const state = await page.getAttribute("#result", "data-state");
    if (state !== "ok") throw new Error(`last payment: ${await page.textContent("#result")}`);
    const life = await page.textContent("#life");
    if (!/^\d+ s$/.test(life ?? "")) throw new Error(`life left shows ${life}`);

    mkdirSync(new URL("../../test-results/", import.meta.url), { recursive: true });
    await page.screenshot({
      path: new URL("../../test-results/demo.png", import.meta.url).pathname,
    });
    if (problems.length > 0) throw new Error(problems.join("\n"));
    return `paid 3 times: token refreshed by time (${firstJti} → ${refreshedJti}), then renewed (→ ${await page.textContent("#jti")}), ${life} left`;
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
