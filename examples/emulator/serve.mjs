// The provider emulator on node:http, for a project outside this repository (Node 20 is enough;
// in the repository, `npm run emulator` serves it under wrangler). Run: node serve.mjs
import { createServer } from "node:http";
import { createEmulator } from "edgetoken/emulator";

const PORT = Number(process.env.PORT ?? 8788);
const emulator = createEmulator(); // the demo accounts; createEmulator({ accounts }) for yours

createServer(async (incoming, outgoing) => {
  const chunks = [];
  for await (const chunk of incoming) chunks.push(chunk);
  const hasBody = incoming.method !== "GET" && incoming.method !== "HEAD";
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (typeof value === "string") headers.set(name, value);
  }
  const answer = await emulator.fetch(`http://127.0.0.1:${PORT}${incoming.url ?? "/"}`, {
    method: incoming.method ?? "GET",
    headers,
    ...(hasBody ? { body: new Blob(chunks) } : {}),
  });
  outgoing.writeHead(answer.status, Object.fromEntries(answer.headers));
  outgoing.end(new Uint8Array(await answer.arrayBuffer()));
}).listen(PORT, "127.0.0.1", () => console.log(`emulator on http://127.0.0.1:${PORT}`));
