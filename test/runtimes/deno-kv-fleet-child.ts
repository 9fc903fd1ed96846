// One Deno process of deno-kv-fleet.test.ts: its own token sources (each with its own memory, as
// separate processes or Deno Deploy isolates have), sharing one Deno KV database file — the
// store and the lease — and the parent's emulator over HTTP. The parent owns the clock: every
// step says what time it is; this process serves the step's requests, waits for the refreshes
// they started behind the cached token (`ctx.waitUntil`), and answers with what it saw. JSON
// lines: requests on stdin, answers on stdout.

import {
  createDenoKvLease,
  createDenoKvStore,
  createTokenSource,
  type DenoKvAtomicLike,
  type DenoKvAtomicOperationLike,
  type TokenSource,
  type TokenSourceEvent,
} from "../../src/index.ts";
import { type ProviderName, provider } from "./deno-kv-support.ts";

interface Start {
  type: "start";
  kvPath: string;
  emulatorUrl: string;
  sources: ProviderName[];
  options: { leaseMs: number; deadlineMs: number; minRemainingMs: number };
}

let at = 0;
const now = () => at;

/** Deno KV calls that threw (the store and lease try them again): "database is locked". */
const thrown: Record<string, number> = {};

/** The database, with every call that throws counted before it reaches the store or lease. */
function counting(kv: Deno.Kv): DenoKvAtomicLike {
  const note = <T>(promise: Promise<T>): Promise<T> =>
    promise.catch((error: unknown) => {
      const what = error instanceof Error ? error.message : String(error);
      thrown[what] = (thrown[what] ?? 0) + 1;
      throw error;
    });
  return {
    get: (key, options) => note(kv.get(key, options)),
    set: (key, value, options) => note(kv.set(key, value, options)),
    delete: (key) => note(kv.delete(key)),
    atomic(): DenoKvAtomicOperationLike {
      const inner = kv.atomic();
      const operation: DenoKvAtomicOperationLike = {
        check(...checks) {
          inner.check(...checks);
          return operation;
        },
        set(key, value, options) {
          inner.set(key, value, options);
          return operation;
        },
        delete(key) {
          inner.delete(key);
          return operation;
        },
        commit: () => note(inner.commit()),
      };
      return operation;
    },
  };
}

const sources: { name: ProviderName; source: TokenSource; events: TokenSourceEvent[] }[] = [];
let kv: Deno.Kv | undefined;
let floor = 0;

async function start(message: Start): Promise<Record<string, unknown>> {
  kv = await Deno.openKv(message.kvPath);
  const shared = counting(kv);
  floor = message.options.minRemainingMs;
  for (const name of message.sources) {
    const events: TokenSourceEvent[] = [];
    const source = createTokenSource(provider(name, message.emulatorUrl), {
      store: createDenoKvStore(shared, { now }),
      lease: createDenoKvLease(shared),
      ...message.options,
      refreshJitter: 0, // every source has the same refresh point: the group can be held to one
      onEvent: (event) => events.push(event),
      runtime: { now, random: () => 0 },
    });
    sources.push({ name, source, events });
  }
  return { type: "started" };
}

async function step(message: { at: number }): Promise<Record<string, unknown>> {
  at = message.at;
  const behind: Promise<unknown>[] = [];
  const ctx = { waitUntil: (promise: Promise<unknown>) => behind.push(promise) };
  const results = await Promise.all(
    sources.map(async ({ name, source }) => {
      const begun = performance.now();
      try {
        const token = await source.get({ ctx });
        const left = token.expiresAt - now();
        return {
          name,
          ok: true,
          ms: performance.now() - begun,
          expired: !(left > 0),
          belowFloor: !(left > floor),
        };
      } catch (error) {
        const code = (error as { code?: string }).code ?? String(error);
        return { name, ok: false, ms: performance.now() - begun, code };
      }
    }),
  );
  await Promise.all(behind);
  return { type: "stepped", results };
}

function report(): Record<string, unknown> {
  const lease: Record<string, number> = {};
  let storeFailed = 0;
  let waitedAfterFirst = 0;
  for (const { events } of sources) {
    let first = true;
    for (const event of events) {
      if (event.type === "lease") lease[event.outcome] = (lease[event.outcome] ?? 0) + 1;
      if (event.type === "store_failed") storeFailed += 1;
      if (event.type === "waited") {
        if (!first) waitedAfterFirst += 1;
        first = false;
      }
    }
  }
  return { type: "report", lease, storeFailed, waitedAfterFirst, thrown };
}

async function handle(message: { type: string; [name: string]: unknown }) {
  switch (message.type) {
    case "start":
      return start(message as unknown as Start);
    case "step":
      return step(message as unknown as { at: number });
    case "report":
      return report();
    case "stop":
      kv?.close();
      return { type: "stopped" };
    default:
      throw new Error(`unknown message ${message.type}`);
  }
}

const encoder = new TextEncoder();
const out = Deno.stdout.writable.getWriter(); // whole lines, one after another
const answer = (line: unknown) => out.write(encoder.encode(`${JSON.stringify(line)}\n`));

let buffered = "";
for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
  buffered += chunk;
  let newline = buffered.indexOf("\n");
  while (newline >= 0) {
    const message = JSON.parse(buffered.slice(0, newline));
    buffered = buffered.slice(newline + 1);
    // One at a time: the parent waits for each answer (but a step it left running does not
    // hold up the next message — a process the parent is about to kill).
    handle(message).then(
      (reply) => answer({ id: message.id, ...reply }),
      (error: unknown) => answer({ id: message.id, type: "error", error: String(error) }),
    );
    newline = buffered.indexOf("\n");
  }
}
