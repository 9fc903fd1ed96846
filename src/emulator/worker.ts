/**
 * The provider emulator as a Worker: `npm run emulator` serves it on http://127.0.0.1:8788.
 * One emulator per isolate, so tokens, faults and counts live as long as the dev server.
 * Not re-exported from `index.ts`: importing `edgetoken/emulator` creates no emulator.
 */
import { createEmulator } from "./emulator.ts";

const emulator = createEmulator();

export default {
  fetch(request: Request): Promise<Response> {
    return emulator.fetch(request);
  },
};
