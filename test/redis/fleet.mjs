// The parent's side of a group of token-source processes: forks them, hands each its sources,
// moves the one clock step by step (every child serves its requests at that time and settles
// before the next step), and adds up what they saw.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

const CHILD = fileURLToPath(new URL("./fleet-child.mjs", import.meta.url));
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
/** 2026-01-01T00:00:00Z, like the other suites. */
export const T0 = Date.UTC(2026, 0, 1);

/**
 * @typedef {{
 *   provider: "paymentsgate" | "papaya",
 *   adapter: "node" | "upstash",
 *   name?: string,
 *   from?: number,
 * }} SourceSpec  `from`: the time of its first request (a process that starts late, cold)
 * @typedef {{ sources: SourceSpec[], offlineQueue?: boolean }} ChildSpec  `offlineQueue`: leave
 *   node-redis's offline queue on (its default), instead of `disableOfflineQueue: true`
 * @typedef {{
 *   name: string, cold: boolean, ok: boolean, ms: number,
 *   expired?: boolean, belowFloor?: boolean, code?: string,
 * }} GetResult
 */

/** One child process, spoken to by request and answer. */
function spawnChild() {
  const child = fork(CHILD, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let next = 0;
  /** @type {Map<number, { resolve: (value: any) => void, reject: (error: Error) => void }>} */
  const waiting = new Map();
  child.on("message", (/** @type {any} */ answer) => {
    const entry = waiting.get(answer.id);
    if (entry === undefined) return;
    waiting.delete(answer.id);
    if (answer.type === "error") entry.reject(new Error(`child: ${answer.error}`));
    else entry.resolve(answer);
  });
  child.on("exit", (code) => {
    for (const entry of waiting.values()) entry.reject(new Error(`child exited (${code})`));
    waiting.clear();
  });
  return {
    child,
    /** @param {Record<string, unknown>} message @returns {Promise<any>} */
    ask(message) {
      const id = next++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        child.send({ ...message, id });
      });
    },
  };
}

/**
 * @param {{
 *   groups: ChildSpec[],
 *   redisUrl: string,
 *   upstash: { url: string, token: string },
 *   emulatorUrl: string,
 *   options: Record<string, number>,
 *   at: number,
 *   prefix: string,
 *   automaticDeserialization?: boolean,
 * }} config
 */
export async function startFleet(config) {
  const { groups, ...shared } = config;
  const children = groups.map(() => spawnChild());
  const stopAll = () => {
    for (const { child } of children) child.kill("SIGKILL");
  };
  process.on("exit", stopAll);
  await Promise.all(
    children.map(({ ask }, index) =>
      ask({ type: "start", ...shared, ...groups[index], seed: index + 1 }),
    ),
  );
  const totals = {
    requests: 0,
    failed: 0,
    expiredServed: 0,
    belowFloorServed: 0,
    unsettledSteps: 0,
    maxGetMs: 0,
    /** @type {Record<string, number>} */
    failures: {},
  };
  return {
    totals,
    /**
     * Every source asks for a token once at `at`; resolves when every child has settled.
     * @param {number} at
     * @returns {Promise<{ results: GetResult[], maxMs: number }>}
     */
    async step(at) {
      const answers = await Promise.all(children.map(({ ask }) => ask({ type: "step", at })));
      /** @type {GetResult[]} */
      const results = answers.flatMap((answer) => answer.results);
      let maxMs = 0;
      for (const answer of answers) if (!answer.settled) totals.unsettledSteps += 1;
      for (const result of results) {
        totals.requests += 1;
        maxMs = Math.max(maxMs, result.ms);
        if (!result.ok) {
          totals.failed += 1;
          const code = result.code ?? "unknown";
          totals.failures[code] = (totals.failures[code] ?? 0) + 1;
        }
        if (result.expired) totals.expiredServed += 1;
        if (result.belowFloor) totals.belowFloorServed += 1;
      }
      totals.maxGetMs = Math.max(totals.maxGetMs, maxMs);
      return { results, maxMs };
    },
    /** What the sources reported through `onEvent`, summed over the children. */
    async events() {
      const reports = await Promise.all(children.map(({ ask }) => ask({ type: "report" })));
      /** @type {{ lease: Record<string, number>, storeFailed: number, waitedAfterFirst: number }} */
      const sum = { lease: {}, storeFailed: 0, waitedAfterFirst: 0 };
      for (const { events } of reports) {
        for (const [outcome, n] of Object.entries(events.lease)) {
          sum.lease[outcome] = (sum.lease[outcome] ?? 0) + /** @type {number} */ (n);
        }
        sum.storeFailed += events.storeFailed;
        sum.waitedAfterFirst += events.waitedAfterFirst;
      }
      return sum;
    },
    async stop() {
      await Promise.all(children.map(({ ask }) => ask({ type: "stop" }).catch(() => undefined)));
      await Promise.all(
        children.map(
          ({ child }) =>
            new Promise((resolve) => {
              if (child.exitCode !== null) return resolve(undefined);
              child.once("exit", resolve);
              child.disconnect();
            }),
        ),
      );
      process.off("exit", stopAll);
    },
  };
}
