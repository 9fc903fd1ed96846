/**
 * Misspelled and unknown options are refused with a configuration error that names them, for
 * every provider factory and createTokenSource; an empty secret says so in words.
 */
import { describe, expect, it } from "vitest";
import {
  broker,
  createTokenSource,
  type EdgeTokenError,
  ipospays,
  oauth2ClientCredentials,
  papaya,
  paymentsGate,
} from "../../src/index.ts";
import { doubleProvider } from "../support/double.ts";
import { thrown } from "../support/sent.ts";

const oauth = { tokenUrl: "https://auth.example/token", clientId: "c", clientSecret: "s" };
const ipos = { apiKey: "k", secretKey: "s", scope: "Recurring" } as const;
const pg = { accountId: "00000000-0000-4000-8000-000000000001", publicKey: "cGs=" };
const pp = { apiKey: "k", clientSecret: "s" };
const brokerOptions = {
  brokerUrl: "https://broker.example",
  clientId: "c",
  clientSecret: "s",
  scope: "a:b",
};

/** Passes options the types would refuse, as JavaScript callers and JSON configs can. */
function loose<T>(options: T, extra: Record<string, unknown>): T {
  return { ...options, ...extra };
}

function configurationError(make: () => unknown): EdgeTokenError {
  const error = thrown(make);
  expect(error.code).toBe("configuration");
  return error;
}

describe("option names", () => {
  it("oauth2ClientCredentials({ scopes }) suggests scope", () => {
    const error = configurationError(() =>
      oauth2ClientCredentials(loose(oauth, { scopes: ["payments"] })),
    );
    expect(error.message).toContain("unknown option scopes; did you mean scope?");
  });

  it("every provider factory refuses an unknown option, naming it", () => {
    const cases: [() => unknown, string][] = [
      [
        () => ipospays(loose(ipos, { secret: "x" })),
        "unknown option secret; did you mean secretKey?",
      ],
      [
        () => paymentsGate(loose(pg, { baseURL: "https://x" })),
        "unknown option baseURL; did you mean baseUrl?",
      ],
      [() => papaya(loose(pp, { expires: 5 })), "unknown option expires"],
      [
        () => broker(loose(brokerOptions, { scopes: "a:b" })),
        "unknown option scopes; did you mean scope?",
      ],
      [
        () => ipospays(loose(ipos, { requestPolicy: { timeout: 5 } })),
        "unknown option requestPolicy.timeout; did you mean requestPolicy.timeoutMs?",
      ],
    ];
    for (const [make, message] of cases) {
      expect(configurationError(make).message).toContain(message);
    }
  });

  it("createTokenSource refuses unknown options, nested ones too", () => {
    const provider = doubleProvider();
    const cases: [Record<string, unknown>, string][] = [
      [{ refreshAheadMs: 0.2 }, "unknown option refreshAheadMs; did you mean refreshAhead?"],
      [{ deadline: 5 }, "unknown option deadline; did you mean deadlineMs?"],
      [{ backoff: { base: 5 } }, "unknown option backoff.base; did you mean backoff.baseMs?"],
      [{ runtime: { clock: () => 0 } }, "unknown option runtime.clock"],
    ];
    for (const [options, message] of cases) {
      const error = configurationError(() => createTokenSource(provider, options));
      expect(error.message).toContain(message);
    }
  });

  it("the known options still pass, and no value is ever quoted", () => {
    expect(() => oauth2ClientCredentials({ ...oauth, scope: ["a"] })).not.toThrow();
    const error = configurationError(() =>
      oauth2ClientCredentials(loose(oauth, { clientSecretKey: "TOPSECRET-value" })),
    );
    expect(error.message).not.toContain("TOPSECRET");
  });

  it("an empty clientSecret says so in words", () => {
    const error = configurationError(() => oauth2ClientCredentials({ ...oauth, clientSecret: "" }));
    expect(error.message).toContain("clientSecret: must not be empty");
    expect(error.message).not.toContain("!0");
  });
});
