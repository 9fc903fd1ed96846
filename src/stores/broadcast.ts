import * as v from "valibot";
import type { TokenStore } from "../store.ts";
import type { Token } from "../token.ts";
import { decodeToken, encodeToken } from "./record.ts";

/**
 * The part of a `BroadcastChannel` the store uses: a real one fits as is, and so does anything
 * else that delivers one tab's messages to the others of its origin.
 */
export interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  close(): void;
}

/** Options of {@link createBroadcastStore}. */
export interface BroadcastStoreOptions {
  /**
   * The channel's name: every context of the origin that opens a channel by this name (tabs,
   * frames, workers) hears the tokens. Default `"edgetoken"`.
   */
  name?: string;
  /**
   * How long a tab's first read of a key waits for another tab to tell it the token it holds
   * (a tab opened after the token was obtained has heard nothing yet). Once per key and tab: it
   * hears every later change as it happens. Default 50 ms.
   */
  askMs?: number;
  /** The clock, in epoch milliseconds, for expiry checks. Default `Date.now`. */
  now?: () => number;
  /** The channel itself. Default `new BroadcastChannel(name)`; none where there is none. */
  channel?: BroadcastChannelLike;
}

/** A {@link TokenStore} shared by the tabs of one origin, which each keep their copy in memory. */
export interface BroadcastStore extends TokenStore {
  /** Deletes `key` in every tab whose copy is still the token `value`. */
  deleteIf(key: string, value: string): Promise<void>;
  /** Stops listening: this tab's copy stays, but it neither tells nor hears the others. */
  close(): void;
}

/** No token record comes near this; anything longer is not one of ours. */
const MAX_RECORD_CHARS = 16_384;

const Record = v.pipe(v.string(), v.maxLength(MAX_RECORD_CHARS));
const Key = v.pipe(v.string(), v.nonEmpty(), v.maxLength(1024));

/**
 * What one tab tells the others. Every field is checked, and the token itself, `record`, is
 * checked again by {@link decodeToken} against the key it is for: a message made by other code
 * on the page, or by a different version of this store, is ignored, never trusted.
 */
const Message = v.variant("t", [
  v.object({ t: v.literal("edgetoken.set"), key: Key, record: Record }),
  v.object({ t: v.literal("edgetoken.delete"), key: Key }),
  v.object({ t: v.literal("edgetoken.deleteIf"), key: Key, value: v.string() }),
  v.object({ t: v.literal("edgetoken.ask"), key: Key }),
]);

function openChannel(name: string): BroadcastChannelLike | undefined {
  const Channel = (globalThis as { BroadcastChannel?: new (name: string) => BroadcastChannelLike })
    .BroadcastChannel;
  return Channel === undefined ? undefined : new Channel(name);
}

/**
 * Tokens shared by the tabs of one origin, kept in each tab's memory and passed between them on
 * a `BroadcastChannel`: a token one tab obtains reaches the others at once, a tab opened later
 * asks for it, and nothing is written to disk — the token is gone when the last tab closes. Give
 * it to every tab's token source with {@link createWebLocksLease}, and the tabs make one token
 * request per renewal between them. Every message read from the channel is checked; one that is
 * malformed, for another key, expired or older than the copy held is ignored. Where there is no
 * `BroadcastChannel`, it is this tab's memory alone.
 *
 * What script on the page gets: the token, as it would from the token source itself or by
 * calling the session endpoint with the page's cookies — a short, narrowed broker token, and
 * nothing that outlives the tab. Unlike `localStorage`, nothing is left on disk to read later.
 *
 * @see https://developer.mozilla.org/docs/Web/API/BroadcastChannel
 * @example
 * import { createBroadcastStore, createWebLocksLease } from "edgetoken/browser";
 * const source = createTokenSource(broker({ brokerUrl, scope, sessionUrl: "/checkout/token" }), {
 *   store: createBroadcastStore(),
 *   lease: createWebLocksLease(),
 * });
 */
/* @__NO_SIDE_EFFECTS__ */
export function createBroadcastStore(options: BroadcastStoreOptions = {}): BroadcastStore {
  const now = options.now ?? Date.now;
  const askMs = Math.max(0, options.askMs ?? 50);
  const channel = options.channel ?? openChannel(options.name ?? "edgetoken");
  /** This tab's copy: the record as it travels, and the token it holds. */
  const entries = new Map<string, { record: string; token: Token }>();
  /** Keys this tab has asked the others about, or heard of: it is up to date on them. */
  const asked = new Map<string, Promise<void>>();
  /** Resolves a pending ask when another tab tells the token. */
  const told = new Map<string, () => void>();
  let open = channel !== undefined;

  const held = (key: string): Token | undefined => {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.token.expiresAt > now()) return entry.token;
    entries.delete(key);
    return undefined;
  };

  /** Keeps a record another tab sent, when it is sound, live and at least as new as ours. */
  const take = (key: string, record: string): void => {
    const token = decodeToken(record, key);
    // Obtained in the future is no tab's token (a minute of clock skew allowed): kept, it would
    // hold off every real one as "older" until it expired.
    const at = now();
    if (token === undefined || !(token.expiresAt > at) || token.obtainedAt > at + 60_000) return;
    const ours = held(key);
    if (ours !== undefined && ours.obtainedAt > token.obtainedAt) return;
    entries.set(key, { record, token });
    told.get(key)?.();
  };

  const post = (message: v.InferOutput<typeof Message>): void => {
    if (!open) return;
    try {
      channel?.postMessage(message);
    } catch {
      // A channel that cannot send (closed under us) leaves this tab on its own copy.
    }
  };

  channel?.addEventListener("message", (event) => {
    if (!open) return;
    const parsed = v.safeParse(Message, event.data);
    if (!parsed.success) return;
    const message = parsed.output;
    switch (message.t) {
      case "edgetoken.set":
        take(message.key, message.record);
        return;
      case "edgetoken.delete":
        entries.delete(message.key);
        return;
      case "edgetoken.deleteIf":
        if (entries.get(message.key)?.token.value === message.value) entries.delete(message.key);
        return;
      case "edgetoken.ask": {
        const token = held(message.key);
        const entry = entries.get(message.key);
        if (token !== undefined && entry !== undefined) {
          post({ t: "edgetoken.set", key: message.key, record: entry.record });
        }
        return;
      }
    }
  });

  /** The first read of a key asks the others, and waits a little for an answer. */
  const askOnce = (key: string): Promise<void> => {
    let pending = asked.get(key);
    if (pending === undefined) {
      pending =
        !open || askMs === 0
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              const timer = setTimeout(done, askMs);
              function done(): void {
                clearTimeout(timer);
                told.delete(key);
                resolve();
              }
              told.set(key, done);
              post({ t: "edgetoken.ask", key });
            });
      asked.set(key, pending);
    }
    return pending;
  };

  const store: BroadcastStore & { toJSON(): unknown } = {
    async get(key) {
      if (!asked.has(key) && held(key) === undefined) await askOnce(key);
      return held(key);
    },
    async set(key, token) {
      const record = encodeToken(token, key);
      entries.set(key, { record, token });
      asked.set(key, Promise.resolve());
      post({ t: "edgetoken.set", key, record });
    },
    async delete(key) {
      entries.delete(key);
      post({ t: "edgetoken.delete", key });
    },
    async deleteIf(key, value) {
      if (entries.get(key)?.token.value === value) entries.delete(key);
      post({ t: "edgetoken.deleteIf", key, value });
    },
    close() {
      open = false;
      try {
        channel?.close();
      } catch {
        // Closed already.
      }
    },
    toJSON() {
      return { kind: "broadcast", shared: open, entries: entries.size };
    },
  };
  return store;
}
