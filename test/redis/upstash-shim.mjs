// Upstash's REST API in front of the real redis-server, so the real `@upstash/redis` client runs
// against real Redis: POST / with one command as a JSON array, POST /pipeline with several, a
// Bearer token, `{ result }` or `{ error }` back, strings base64 when the client asks
// (`Upstash-Encoding: base64`, its default). Commands go to Redis over TCP (node-redis), failing
// at once while Redis is down (503), as a hosted Redis behind HTTPS would.
import { createServer } from "node:http";
import { createClient } from "redis";

/** @param {unknown} reply @returns {unknown} */
function base64(reply) {
  if (typeof reply === "string")
    return reply === "OK" ? reply : Buffer.from(reply).toString("base64");
  if (Array.isArray(reply)) return reply.map(base64);
  return reply;
}

/** @param {import("node:http").IncomingMessage} request @returns {Promise<string>} */
function readBody(request) {
  return new Promise((resolve, reject) => {
    let text = "";
    request.setEncoding("utf8");
    request.on("data", (chunk) => {
      text += chunk;
    });
    request.on("end", () => resolve(text));
    request.on("error", reject);
  });
}

/**
 * @param {string} redisUrl
 * @param {number} [port] 0: any free port
 */
export async function startUpstashShim(redisUrl, port = 0) {
  const redis = createClient({
    url: redisUrl,
    disableOfflineQueue: true,
    socket: { reconnectStrategy: () => 100 },
  });
  redis.on("error", () => {}); // down is an answer (503), not a crash
  await redis.connect();
  const token = `shim-${crypto.randomUUID()}`;
  const counts = { requests: 0, commands: 0 };

  /** @param {unknown} command */
  async function run(command, encode) {
    if (!Array.isArray(command) || command.length === 0) {
      return { status: 400, body: { error: "ERR bad command" } };
    }
    counts.commands += 1;
    try {
      const reply = await redis.sendCommand(command.map(String));
      return { status: 200, body: { result: encode ? base64(reply) : reply } };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // A Redis error reply is the command's fault (400); anything else is Redis unreachable.
      const status = error?.constructor?.name === "ErrorReply" ? 400 : 503;
      return { status, body: { error: message } };
    }
  }

  const server = createServer(async (request, response) => {
    counts.requests += 1;
    const send = (/** @type {number} */ status, /** @type {unknown} */ body) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (request.headers.authorization !== `Bearer ${token}`) {
      return send(401, { error: "Unauthorized" });
    }
    const encode = request.headers["upstash-encoding"] === "base64";
    let body;
    try {
      body = JSON.parse(await readBody(request));
    } catch {
      return send(400, { error: "ERR failed to parse command" });
    }
    const path = new URL(request.url ?? "/", "http://shim").pathname;
    if (path === "/pipeline") {
      if (!Array.isArray(body)) return send(400, { error: "ERR bad pipeline" });
      const answers = [];
      for (const command of body) answers.push((await run(command, encode)).body);
      return send(200, answers);
    }
    if (path !== "/") return send(404, { error: "ERR unknown path" });
    const answer = await run(body, encode);
    return send(answer.status, answer.body);
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(undefined)));
  const address = server.address();
  const bound = typeof address === "object" && address !== null ? address.port : port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    token,
    counts,
    /** Stops answering: connections refused, as an unreachable Upstash is. */
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    },
    /** Answers again, on the same port. */
    async start() {
      await new Promise((resolve) => server.listen(bound, "127.0.0.1", () => resolve(undefined)));
    },
    async close() {
      if (server.listening) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(() => resolve(undefined)));
      }
      await redis.close().catch(() => redis.destroy());
    },
  };
}
