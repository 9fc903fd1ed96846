/** What a provider hands back, before edgetoken wraps it in a {@link Token}. */
export interface TokenInit {
  /** The credential to attach to requests. */
  value: string;
  /** When it stops being valid, in epoch milliseconds on the local clock. */
  expiresAt: number;
  /** When it was obtained (the moment the request was sent), in epoch milliseconds. */
  obtainedAt: number;
  /** The scope the token carries, when the provider says or the caller asked. */
  scope?: string | undefined;
  /** A refresh handle (an OAuth refresh token, say), when the provider gave one. */
  refreshToken?: string | undefined;
}

/**
 * An access token and what is known about it. The value is kept out of `JSON.stringify`,
 * `String()` and enumeration, so logging a token by accident does not leak it.
 *
 * @example
 * const token = await source.get();
 * headers.set("Authorization", `Bearer ${token.value}`);
 * console.log(token); // Token { scope: "payments", expiresAt: ..., value: [redacted] }
 */
export class Token {
  readonly #value: string;
  readonly #refreshToken: string | undefined;
  readonly expiresAt: number;
  readonly obtainedAt: number;
  readonly scope: string | undefined;

  constructor(init: TokenInit) {
    this.#value = init.value;
    this.#refreshToken = init.refreshToken;
    this.expiresAt = init.expiresAt;
    this.obtainedAt = init.obtainedAt;
    this.scope = init.scope;
  }

  /** The credential itself. */
  get value(): string {
    return this.#value;
  }

  /** The provider's refresh handle, if it gave one. */
  get refreshToken(): string | undefined {
    return this.#refreshToken;
  }

  /** Milliseconds between obtaining the token and its expiry. */
  get lifetime(): number {
    return this.expiresAt - this.obtainedAt;
  }

  /** Milliseconds of validity left at `now`. */
  remaining(now: number): number {
    return this.expiresAt - now;
  }

  /** Everything needed to store and rebuild the token. Secrets included: for stores only. */
  toInit(): TokenInit {
    return {
      value: this.#value,
      expiresAt: this.expiresAt,
      obtainedAt: this.obtainedAt,
      scope: this.scope,
      refreshToken: this.#refreshToken,
    };
  }

  toJSON(): Record<string, unknown> {
    return {
      scope: this.scope,
      obtainedAt: this.obtainedAt,
      expiresAt: this.expiresAt,
      value: "[redacted]",
    };
  }

  toString(): string {
    return `Token(scope=${this.scope ?? "-"}, expiresAt=${new Date(this.expiresAt).toISOString()})`;
  }
}
