/**
 * The provider emulator as a Worker: `npm run emulator` (and `npm start`) serve it on
 * http://127.0.0.1:8788. Every request goes to one Durable Object, `EmulatorState`, whose
 * emulator keeps its signing key and ledger in the object's storage — persisted by wrangler dev
 * under `.wrangler/emulator-state` — so tokens issued before a restart of `npm start` still work
 * after it, as a real provider's would; a reset (`POST /_emulator/reset`) still forgets them.
 * Call counts, faults and the clock offset start afresh with each process.
 * Not re-exported from `index.ts`: importing `edgetoken/emulator` creates no emulator.
 */
import { createEmulator, type Emulator } from "./emulator.ts";
import type { EmulatorStorage } from "./persistence.ts";

/** The parts of the Workers types this file uses (`src/` compiles without them). */
interface DurableObjectStateLike {
  storage: EmulatorStorage;
}
interface DurableObjectStubLike {
  fetch(request: Request): Promise<Response>;
}
interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): DurableObjectStubLike;
}
interface EmulatorEnv {
  EMULATOR: DurableObjectNamespaceLike;
}

/** The one object that holds the emulator: its state, its storage. */
export class EmulatorState {
  readonly #emulator: Emulator;

  constructor(state: DurableObjectStateLike) {
    this.#emulator = createEmulator({ storage: state.storage });
  }

  fetch(request: Request): Promise<Response> {
    return this.#emulator.fetch(request);
  }
}

export default {
  fetch(request: Request, env: EmulatorEnv): Promise<Response> {
    return env.EMULATOR.get(env.EMULATOR.idFromName("emulator")).fetch(request);
  },
};
