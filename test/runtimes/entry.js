// Runs the smoke scenario in a server-side runtime (Node, Deno, Bun): the exit code is the verdict,
// the reason goes to stderr.
import { smoke } from "./scenario.js";

try {
  console.log(await smoke());
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  // Deno and Bun have `process` too, through their Node compatibility.
  process.exitCode = 1;
}
