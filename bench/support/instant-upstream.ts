/**
 * The proxy benchmark's provider API: a `node:http` server on 127.0.0.1 that reads each request
 * to its end and answers what the emulator's iPOSpays Transact answers (200, the same JSON shape,
 * a fixed reference id) at once — no token check, no ledger, no Durable Object. With it as the
 * broker's `IPOSPAYS_API_BASE_URL`, the proxy's throughput is the broker's own work plus one
 * hop to a server that costs next to nothing. Run as a process of its own
 * (`node bench/support/instant-upstream.ts <port>`), so autocannon's event loop is not its.
 */
import { createServer } from "node:http";

const ANSWER = JSON.stringify({
  iposhpresponse: {
    responseCode: "200",
    responseMessage: "Successful",
    transactionReferenceId: "00000000-0000-4000-8000-000000000000",
    amount: 1250,
  },
});

const server = createServer((request, response) => {
  request.resume();
  request.on("end", () => {
    response.writeHead(200, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(ANSWER),
    });
    response.end(ANSWER);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2]), "127.0.0.1", () => console.log("ready"));
