/**
 * The broker Worker. For now it only says what it is and checks that its token store answers;
 * the broker issue fills in the OAuth endpoints.
 */
import { createKvStore } from "../src/index.ts";

export interface Env {
  TOKENS: KVNamespace;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (request.method !== "GET" && request.method !== "HEAD") {
      return Response.json(
        { error: "method_not_allowed" },
        { status: 405, headers: { Allow: "GET, HEAD" } },
      );
    }
    if (url.pathname === "/healthz") {
      const store = createKvStore(env.TOKENS);
      await store.get("edgetoken:v1:healthz");
      return Response.json({ ok: true });
    }
    if (url.pathname === "/") {
      return Response.json({
        name: "edgetoken broker",
        status: "foundation: the OAuth endpoints arrive with the broker issue",
        endpoints: { health: "/healthz" },
      });
    }
    return Response.json({ error: "not_found" }, { status: 404 });
  },
} satisfies ExportedHandler<Env>;
