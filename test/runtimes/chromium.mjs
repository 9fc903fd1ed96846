// Headless Chromium for the browser smoke: Debian's own build (never a downloaded browser),
// installed with apt-get when missing and we are allowed to, driven by playwright-core.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";
import { run } from "./child.mjs";

const DEFAULT_PATH = "/usr/bin/chromium";
export const APT_INSTALL =
  "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium";

/** Flags for headless Chromium on a machine with no network but loopback. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * The Chromium binary: `CHROMIUM_PATH`, else /usr/bin/chromium, installed with apt-get first when
 * it is missing and this is a root shell on a Debian-like system.
 *
 * @returns {Promise<string>}
 */
export async function findChromium() {
  const path = process.env.CHROMIUM_PATH ?? DEFAULT_PATH;
  if (existsSync(path)) return path;
  if (process.env.CHROMIUM_PATH !== undefined) {
    throw new Error(`CHROMIUM_PATH=${path} does not exist.`);
  }
  if (process.getuid?.() !== 0 || !hasAptGet()) {
    throw new Error(`${DEFAULT_PATH} is missing; install it as root: ${APT_INSTALL}`);
  }
  const installed = await run("sh", ["-c", APT_INSTALL], { timeoutMs: 15 * 60_000 });
  if (!installed.ok || !existsSync(DEFAULT_PATH)) {
    throw new Error(`apt-get could not install chromium:\n${installed.output.slice(-2000)}`);
  }
  return DEFAULT_PATH;
}

function hasAptGet() {
  try {
    execFileSync("sh", ["-c", "command -v apt-get"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Opens `url` in a fresh headless Chromium, waits for the page's `window.smokeResult` and
 * returns it. Any request that leaves `origin`, a page error or the deadline is a failure.
 *
 * @param {{ executablePath: string, url: string, origin: string, timeoutMs: number }} options
 * @returns {Promise<string>} the scenario's summary
 */
export async function runInChromium({ executablePath, url, origin, timeoutMs }) {
  const browser = await chromium.launch({
    executablePath,
    args: CHROMIUM_ARGS,
    timeout: timeoutMs,
  });
  // A hard stop: closing the browser fails whatever still waits on it.
  let expired = false;
  const deadline = setTimeout(() => {
    expired = true;
    browser.close().catch(() => {});
  }, timeoutMs);
  /** @type {string[]} */
  const problems = [];
  try {
    const page = await browser.newPage();
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`);
    });
    page.on("response", (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
    });
    page.on("request", (request) => {
      if (!request.url().startsWith(`${origin}/`)) problems.push(`left loopback: ${request.url()}`);
    });
    page.setDefaultTimeout(timeoutMs);
    await page.goto(url);
    await page.waitForFunction(() => "smokeResult" in window);
    const result = /** @type {{ ok: boolean, detail: string }} */ (
      await page.evaluate(() => /** @type {any} */ (window).smokeResult)
    );
    if (!result.ok || problems.length > 0) {
      throw new Error([result.detail, ...problems].join("\n"));
    }
    return result.detail;
  } catch (error) {
    if (!expired) throw error;
    throw new Error([`timed out after ${timeoutMs / 1000} s`, ...problems].join("\n"));
  } finally {
    clearTimeout(deadline);
    await browser.close();
  }
}

/**
 * The page: the import map, then the scenario, its outcome left on `window.smokeResult`.
 *
 * @param {{ imports: Record<string, string> }} map
 */
export function smokePage(map) {
  return `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>edgetoken smoke</title>
<link rel="icon" href="data:,">
<script type="importmap">${JSON.stringify(map)}</script>
<script type="module">
  try {
    const { smoke } = await import("/scenario.js");
    window.smokeResult = { ok: true, detail: await smoke() };
  } catch (error) {
    window.smokeResult = { ok: false, detail: String(error?.stack ?? error) };
  }
</script>
</html>
`;
}
