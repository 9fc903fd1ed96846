// Token sources in separate Deno processes share one Deno KV database file — the store and the
// lease — and one emulator over HTTP: the whole group makes the auth calls one source alone
// would, spends every PaymentsGate rotating refresh token once, and when a process dies holding
// the lease, another takes over once it lapses. Each process is deno-kv-fleet-child.ts; this
// one owns the clock and moves it step by step. Run by `npm run test:runtimes`.

import { storeKeyName } from "../../src/index.ts";
import {
  aloneCalls,
  type Counted,
  countedEmulator,
  equal,
  HOUR,
  MINUTE,
  ok,
  type ProviderName,
  provider,
  T0,
} from "./deno-kv-support.ts";

const CHILD = new URL("./deno-kv-fleet-child.ts", import.meta.url).pathname;
const ROOT = new URL("../..", import.meta.url).pathname;
const OPTIONS = { leaseMs: 15_000, deadlineMs: 10_000, minRemainingMs: 30_000 };
const LIFETIMES: Record<ProviderName, number> = {
  ipospays: 30 * MINUTE,
  paymentsgate: HOUR,
  papaya: HOUR,
};

type Answer = { id: number; type: string; [name: string]: unknown };
type GetResult = {
  name: ProviderName;
  ok: boolean;
  ms: number;
  expired?: boolean;
  belowFloor?: boolean;
  code?: string;
};

/** One child process, spoken to in JSON lines. */
function spawnChild(folder: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--unstable-kv",
      "--no-prompt",
      `--allow-read=${folder}`,
      `--allow-write=${folder}`,
      "--allow-net=127.0.0.1",
      CHILD,
    ],
    cwd: ROOT, // this repository's deno.json: valibot and jose from node_modules
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  const encoder = new TextEncoder();
  let next = 0;
  let exited = false;
  const waiting = new Map<number, { resolve: (a: Answer) => void; reject: (e: Error) => void }>();
  const reading = (async () => {
    let buffered = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      let newline = buffered.indexOf("\n");
      while (newline >= 0) {
        const answer = JSON.parse(buffered.slice(0, newline)) as Answer;
        buffered = buffered.slice(newline + 1);
        const entry = waiting.get(answer.id);
        waiting.delete(answer.id);
        if (answer.type === "error") entry?.reject(new Error(`child: ${answer.error}`));
        else entry?.resolve(answer);
        newline = buffered.indexOf("\n");
      }
    }
    exited = true;
    for (const entry of waiting.values()) entry.reject(new Error("the child exited"));
    waiting.clear();
  })();
  return {
    ask(message: Record<string, unknown>): Promise<Answer> {
      if (exited) return Promise.reject(new Error("the child exited"));
      const id = next++;
      const answered = new Promise<Answer>((resolve, reject) =>
        waiting.set(id, { resolve, reject }),
      );
      writer
        .write(encoder.encode(`${JSON.stringify({ ...message, id })}\n`))
        .catch(() => undefined);
      return answered;
    },
    kill() {
      child.kill("SIGKILL");
    },
    async close() {
      await writer.close().catch(() => undefined);
      await child.status;
      await reading;
    },
  };
}

type Child = ReturnType<typeof spawnChild>;

/** The emulator behind Deno.serve on 127.0.0.1, its clock the parent's. */
function serveEmulator(now: () => number): {
  counted: Counted;
  url: string;
  close(): Promise<void>;
} {
  const counted = countedEmulator(now);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) =>
    // A caller killed mid-request cancels it: nobody to answer.
    counted.fetch(request).catch(() => new Response(null, { status: 499 })),
  );
  return {
    counted,
    url: `http://127.0.0.1:${server.addr.port}`,
    close: () => server.shutdown(),
  };
}

async function withFleet(
  run: (env: {
    folder: string;
    kvPath: string;
    emulator: ReturnType<typeof serveEmulator>;
    spawn: () => Child;
    clock: { at: number };
  }) => Promise<void>,
): Promise<void> {
  const folder = await Deno.makeTempDir({ prefix: "edgetoken-denokv-fleet-" });
  const clock = { at: T0 };
  const emulator = serveEmulator(() => clock.at);
  const children: Child[] = [];
  try {
    await run({
      folder,
      kvPath: `${folder}/tokens.sqlite3`,
      emulator,
      clock,
      spawn: () => {
        const child = spawnChild(folder);
        children.push(child);
        return child;
      },
    });
  } finally {
    for (const child of children) {
      await child.ask({ type: "stop" }).catch(() => undefined);
      await child.close();
    }
    await emulator.close();
    await Deno.remove(folder, { recursive: true });
  }
}

Deno.test("three Deno processes on one Deno KV file make the auth calls of one source alone", () =>
  withFleet(async ({ kvPath, emulator, spawn, clock }) => {
    const PROCESSES = 3;
    const DURATION = 6 * HOUR;
    const STEP = 2 * MINUTE;
    const perProcess: ProviderName[] = [
      "ipospays",
      "ipospays",
      "paymentsgate",
      "paymentsgate",
      "papaya",
      "papaya",
    ];
    const children = Array.from({ length: PROCESSES }, spawn);
    const start = { type: "start", kvPath, emulatorUrl: emulator.url, options: OPTIONS };
    await Promise.all(children.map((child) => child.ask({ ...start, sources: perProcess })));
    const started = performance.now();
    let requests = 0;
    let failed = 0;
    let expired = 0;
    let belowFloor = 0;
    let maxMs = 0;
    let coldMaxMs = 0;
    for (clock.at = T0; clock.at < T0 + DURATION; clock.at += STEP) {
      const answers = await Promise.all(
        children.map((child) => child.ask({ type: "step", at: clock.at })),
      );
      for (const result of answers.flatMap((answer) => answer.results as GetResult[])) {
        requests += 1;
        if (!result.ok) failed += 1;
        if (result.expired) expired += 1;
        if (result.belowFloor) belowFloor += 1;
        if (clock.at === T0) coldMaxMs = Math.max(coldMaxMs, result.ms);
        else maxMs = Math.max(maxMs, result.ms);
      }
    }
    const reports = await Promise.all(children.map((child) => child.ask({ type: "report" })));
    const lease: Record<string, number> = {};
    const thrown: Record<string, number> = {};
    let storeFailed = 0;
    let waitedAfterFirst = 0;
    for (const report of reports) {
      for (const [k, n] of Object.entries(report.lease as Record<string, number>))
        lease[k] = (lease[k] ?? 0) + n;
      for (const [k, n] of Object.entries(report.thrown as Record<string, number>))
        thrown[k] = (thrown[k] ?? 0) + n;
      storeFailed += report.storeFailed as number;
      waitedAfterFirst += report.waitedAfterFirst as number;
    }
    const { counted } = emulator;
    const authCalls = {
      ipospays: counted.authCalls("/ipospays/"),
      paymentsgate: counted.authCalls("/paymentsgate/"),
      papaya: counted.authCalls("/papaya/"),
    };
    const alone = {
      ipospays: aloneCalls(DURATION, STEP, LIFETIMES.ipospays),
      paymentsgate: aloneCalls(DURATION, STEP, LIFETIMES.paymentsgate),
      papaya: aloneCalls(DURATION, STEP, LIFETIMES.papaya),
    };
    const figures = {
      processes: PROCESSES,
      sources: PROCESSES * perProcess.length,
      hours: DURATION / HOUR,
      requests,
      authCalls,
      alone,
      paymentsgateIssued:
        counted.authCalls("/paymentsgate/auth/token") -
        counted.authCalls("/paymentsgate/auth/token/refresh"),
      refreshTokenReuse: counted.refreshReuse,
      refreshRefused: counted.refreshRefused,
      failed,
      expired,
      belowFloor,
      waitedAfterFirst,
      storeFailed,
      lease,
      kvCallsThrown: thrown,
      coldGetMaxMs: Math.round(coldMaxMs), // the first step: every process starting up, cold
      maxGetMs: Math.round(maxMs), // every later one: served from memory, refreshes behind
      realSeconds: Math.round((performance.now() - started) / 100) / 10,
    };
    console.log(`DENO KV FLEET ${JSON.stringify(figures)}`);
    equal(failed, 0, "requests failed");
    equal(expired, 0, "expired tokens served");
    equal(belowFloor, 0, "tokens below the floor served");
    equal(waitedAfterFirst, 0, "requests that waited on a provider after their first token");
    equal(storeFailed, 0, "store calls failed (after their retries)");
    equal(lease.unavailable ?? 0, 0, "lease calls failed (after their retries)");
    // Eighteen sources in three processes, the auth calls of one source alone.
    equal(authCalls, alone, "auth calls per provider");
    // PaymentsGate: issued once, then refreshed along one unbroken chain of refresh tokens.
    equal(figures.paymentsgateIssued, 1, "PaymentsGate tokens issued from the credentials");
    equal(counted.refreshReuse, 0, "PaymentsGate refresh tokens redeemed twice");
    equal(counted.refreshRefused, 0, "PaymentsGate refreshes refused");
  }));

Deno.test("a process killed holding the lease: another takes over once the lease lapses", () =>
  withFleet(async ({ kvPath, emulator, spawn, clock }) => {
    const start = { type: "start", kvPath, emulatorUrl: emulator.url, options: OPTIONS };
    const victim = spawn();
    const survivors = [spawn(), spawn()];
    await victim.ask({ ...start, sources: ["paymentsgate"] });
    await Promise.all(survivors.map((child) => child.ask({ ...start, sources: ["paymentsgate"] })));
    const key = await storeKeyName(provider("paymentsgate", emulator.url).key);

    // The victim goes first and takes the lease; its call to PaymentsGate hangs, and it is
    // killed in the middle of it, its lease still in Deno KV.
    emulator.counted.emulator.addFault({
      provider: "paymentsgate",
      kind: "latency",
      ms: 5_000,
      count: 1,
    });
    clock.at = T0;
    victim.ask({ type: "step", at: clock.at }).catch(() => undefined);
    const kv = await Deno.openKv(kvPath);
    try {
      let held: unknown = null;
      for (let look = 0; look < 200 && held === null; look++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        held = (await kv.get(["edgetoken", "lease", key])).value;
      }
      ok(held !== null, "the victim took the lease");
      for (let look = 0; look < 200 && emulator.counted.authCalls() === 0; look++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      equal(emulator.counted.authCalls(), 1, "the victim's call, under way");
      victim.kill();
      emulator.counted.emulator.clearFaults();

      // Past the lease's end (15 s on the victim's clock): the survivors come, cold.
      clock.at = T0 + OPTIONS.leaseMs + 1_000;
      const stillThere = (await kv.get(["edgetoken", "lease", key])).value as { until: number };
      equal(
        stillThere.until,
        T0 + OPTIONS.leaseMs,
        "the dead holder's lease, lapsed but still in Deno KV",
      );
      const answers = await Promise.all(
        survivors.map((child) => child.ask({ type: "step", at: clock.at })),
      );
      const results = answers.flatMap((answer) => answer.results as GetResult[]);
      equal(
        results.map((result) => result.ok),
        [true, true],
        "the survivors got tokens",
      );
      ok(
        results.every((result) => !result.expired && !result.belowFloor),
        "fresh tokens",
      );
      equal(
        emulator.counted.authCalls(),
        2,
        "auth calls: the victim's, then one for both survivors",
      );
      const reports = await Promise.all(survivors.map((child) => child.ask({ type: "report" })));
      const outcomes = reports
        .flatMap((report) =>
          Object.entries(report.lease as Record<string, number>).flatMap(([k, n]) =>
            Array(n).fill(k),
          ),
        )
        .sort();
      // The other survivor waited for the holder's token, or read it from the store first.
      equal(
        outcomes.filter((outcome) => outcome !== "adopted"),
        ["held"],
        "survivors' lease outcomes",
      );
      console.log(
        `DENO KV KILLED HOLDER ${JSON.stringify({ authCalls: emulator.counted.authCalls(), outcomes, maxGetMs: Math.round(Math.max(...results.map((r) => r.ms))) })}`,
      );
    } finally {
      kv.close();
    }
  }));
