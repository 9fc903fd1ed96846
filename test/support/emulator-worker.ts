/**
 * The emulator Worker (`src/emulator/worker.ts`) as wrangler dev runs it, inside the test pool:
 * its Durable Object gets the real, SQLite-backed storage of a Durable Object of this pool (a
 * fresh one per call, so tests do not share state), and `restart()` builds a new object over the
 * same storage, as a new `npm start` process does.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker, { EmulatorState } from "../../src/emulator/worker.ts";

export interface EmulatorWorker {
  /** A request to the Worker's entry, as wrangler dev routes it. */
  fetch(request: Request): Promise<Response>;
  /** A new object over the same storage: what restarting `npm start` does. */
  restart(): void;
}

/** Runs `body` with an emulator Worker over fresh, real Durable Object storage. */
export async function withEmulatorWorker(
  body: (emulator: EmulatorWorker) => Promise<void>,
): Promise<void> {
  const stub = env.TOKEN_LEASES.get(env.TOKEN_LEASES.idFromName(crypto.randomUUID()));
  await runInDurableObject(stub, async (_instance, state) => {
    let object = new EmulatorState(state);
    const binding = { EMULATOR: { idFromName: () => "emulator", get: () => object } };
    await body({
      fetch: (request) => worker.fetch(request, binding),
      restart: () => {
        object = new EmulatorState(state);
      },
    });
  });
}
