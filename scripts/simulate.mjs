// `npm run simulate`: the fleet simulation (test/simulation/) inside workerd. vitest's own output
// first, then the `SIMULATION {…}` lines the runs printed, the fleet with the lease last.
import { spawn } from "node:child_process";

const child = spawn("npx", ["vitest", "run", "-c", "vitest.simulation.config.ts"], {
  stdio: ["ignore", "pipe", "inherit"],
});
let output = "";
child.stdout.on("data", (chunk) => {
  output += chunk;
  process.stdout.write(chunk);
});
child.on("close", (code) => {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the terminal's colour codes
  const plain = output.replace(/\u001b\[[0-9;]*m/g, "");
  const lines = plain
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith("SIMULATION "))
    .map((line) => line.slice("SIMULATION ".length));
  console.log("");
  for (const line of lines) console.log(line);
  process.exit(code ?? 1);
});
