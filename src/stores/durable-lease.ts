import * as v from "valibot";
import type { TokenLease } from "../lease.ts";

/** The part of a Durable Object namespace binding the lease uses; a binding fits as is. */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: never): { fetch(request: Request): Promise<Response> };
}

const LeaseRequest = v.object({
  op: v.picklist(["acquire", "release"]),
  holder: v.pipe(v.string(), v.nonEmpty(), v.maxLength(128)),
  now: v.optional(v.pipe(v.number(), v.finite())),
  until: v.optional(v.pipe(v.number(), v.finite())),
  settled: v.optional(v.pipe(v.number(), v.finite())),
});

/**
 * The Durable Object behind {@link createDurableObjectLease}: one object per key, so one
 * holder at a time for that key. Export it from your Worker and bind it:
 *
 * ```toml
 * [[durable_objects.bindings]]
 * name = "TOKEN_LEASES"
 * class_name = "TokenLeaseObject"
 * ```
 *
 * A lease lives in memory only: it is short, and an evicted object simply has no holder.
 *
 * @example
 * export { TokenLeaseObject } from "edgetoken";
 */
export class TokenLeaseObject {
  #holder: string | undefined;
  #until = 0;
  /** When the newest token a holder stored was obtained: tells a new holder a stale store read. */
  #settled: number | undefined;
  /** When the holder took the lease (its clock): what a lease that lapses unreleased settles on. */
  #takenAt = 0;

  async fetch(request: Request): Promise<Response> {
    let body: v.InferOutput<typeof LeaseRequest>;
    try {
      body = v.parse(LeaseRequest, await request.json());
    } catch {
      return Response.json({ error: "invalid_request" }, { status: 400 });
    }
    if (body.op === "release") {
      if (this.#holder === body.holder) {
        this.#holder = undefined;
        if (body.settled !== undefined) this.#settled = Math.max(this.#settled ?? 0, body.settled);
      }
      return Response.json({ released: true });
    }
    const now = body.now ?? 0;
    if (this.#holder !== undefined && this.#holder !== body.holder) {
      if (this.#until > now) return Response.json({ acquired: false, settled: this.#settled });
      // It lapsed unreleased (the release failed, or the holder's isolate went away): its holder
      // may have spent a rotating handle and stored a token obtained after it took the lease, so
      // a handle older than that is not to be spent again, nor a token older than that preferred.
      this.#settled = Math.max(this.#settled ?? 0, this.#takenAt);
    }
    if (this.#holder !== body.holder) this.#takenAt = now;
    this.#holder = body.holder;
    this.#until = body.until ?? now;
    return Response.json({ acquired: true, settled: this.#settled });
  }
}

/**
 * A {@link TokenLease} in Durable Objects: a fleet of isolates in every colo agrees on which one
 * calls the provider for a key. The others wait for its token in the store.
 *
 * @example
 * const lease = createDurableObjectLease(env.TOKEN_LEASES);
 * const source = createTokenSource(provider, { store: createKvStore(env.TOKENS), lease });
 */
export function createDurableObjectLease(namespace: DurableObjectNamespaceLike): TokenLease {
  const call = async (key: string, body: Record<string, unknown>): Promise<unknown> => {
    const stub = namespace.get(namespace.idFromName(key) as never);
    const response = await stub.fetch(
      new Request("https://lease.edgetoken/", { method: "POST", body: JSON.stringify(body) }),
    );
    return response.json();
  };
  // What the last acquire heard the object had settled on: `settled` needs no round trip of its own.
  const settledSeen = new Map<string, number>();
  return {
    async acquire(key, holder, now, until) {
      const answer = (await call(key, { op: "acquire", holder, now, until })) as {
        acquired?: unknown;
        settled?: unknown;
      };
      if (typeof answer.settled === "number") settledSeen.set(key, answer.settled);
      return answer.acquired === true;
    },
    async release(key, holder, settled) {
      await call(key, { op: "release", holder, settled });
    },
    async settled(key) {
      return settledSeen.get(key);
    },
  };
}
