/**
 * A provider that echoes the request back in its error code: what it was sent (secrets included)
 * never reaches an EdgeTokenError's message, providerCode, stack or JSON.
 */

import { describe, expect, it } from "vitest";
import {
  createTokenSource,
  ipospays,
  isEdgeTokenError,
  oauth2ClientCredentials,
  type Provider,
  paymentsGate,
} from "../../src/index.ts";
import { recordError } from "../support/leaks.ts";

const OAUTH_SECRET = "oauth-secret-ECHOED-9f1c";
const IPOS_SECRET = "ipos-secret-ECHOED-4b7a";
const PG_KEY = "cGctcHVibGljLWtleS1FQ0hPRUQ=";

/** Everything the request carried, as one string: what a careless provider would send back. */
async function everything(request: Request): Promise<string> {
  const headers = [...request.headers].map(([name, value]) => `${name}: ${value}`).join("\n");
  return `${request.method} ${request.url}\n${headers}\n\n${await request.text()}`;
}

type Echo = (echoed: string) => Response;

function echoing(answer: Echo) {
  return async (input: Request | string | URL, init?: RequestInit): Promise<Response> =>
    answer(await everything(new Request(input, init)));
}

async function thrownBy(provider: Provider, answer: Echo) {
  const source = createTokenSource(provider, { runtime: { fetch: echoing(answer) } });
  try {
    await source.get();
  } catch (error) {
    recordError(error);
    if (isEdgeTokenError(error)) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}

const cases: { name: string; secret: string; provider: () => Provider; answer: Echo }[] = [
  {
    name: "OAuth 2.0 `error` (client_secret_post)",
    secret: OAUTH_SECRET,
    provider: () =>
      oauth2ClientCredentials({
        tokenUrl: "https://auth.example.com/token",
        clientId: "client-1",
        clientSecret: OAUTH_SECRET,
        authMethod: "client_secret_post",
      }),
    answer: (echoed) => Response.json({ error: echoed }, { status: 400 }),
  },
  {
    name: "OAuth 2.0 `error` (only the secret)",
    secret: OAUTH_SECRET,
    provider: () =>
      oauth2ClientCredentials({
        tokenUrl: "https://auth.example.com/token",
        clientId: "client-1",
        clientSecret: OAUTH_SECRET,
        authMethod: "client_secret_post",
      }),
    answer: (echoed) =>
      Response.json(
        { error: new URLSearchParams(echoed.split("\n\n")[1]).get("client_secret") },
        {
          status: 401,
        },
      ),
  },
  {
    name: "iPOSpays `errorCode`",
    secret: IPOS_SECRET,
    provider: () =>
      ipospays({ apiKey: "iso-key", secretKey: IPOS_SECRET, scope: "PaymentTokenization" }),
    answer: (echoed) => Response.json({ errorCode: echoed, errorMessage: echoed }, { status: 400 }),
  },
  {
    name: "iPOSpays `responseCode`",
    secret: IPOS_SECRET,
    provider: () =>
      ipospays({ apiKey: "iso-key", secretKey: IPOS_SECRET, scope: "PaymentTokenization" }),
    answer: (echoed) => Response.json({ responseCode: echoed, responseMessage: echoed }),
  },
  {
    name: "PaymentsGate `error`",
    secret: PG_KEY,
    provider: () =>
      paymentsGate({ accountId: "00000000-0000-4000-8000-000000000009", publicKey: PG_KEY }),
    answer: (echoed) => Response.json({ error: echoed, message: echoed }, { status: 400 }),
  },
];

describe("a provider's own error code is checked before it enters an error", () => {
  for (const { name, secret, provider, answer } of cases) {
    it(`${name}: an echoed request is dropped, not repeated`, async () => {
      const error = await thrownBy(provider(), answer);
      const seen = [
        error.message,
        String(error.providerCode),
        String(error.stack),
        JSON.stringify(error),
        String(error.cause),
      ].join("\n");
      expect(seen).not.toContain(secret);
      expect(error.providerCode).toBeUndefined();
    });
  }

  it("a well-formed code still comes through", async () => {
    const error = await thrownBy(
      ipospays({ apiKey: "iso-key", secretKey: IPOS_SECRET, scope: "PaymentTokenization" }),
      () => Response.json({ errorCode: "AUTH_ERR_004" }, { status: 401 }),
    );
    expect(error.providerCode).toBe("AUTH_ERR_004");
  });

  it("RFC 8707 invalid_target is a configuration error, not a transient one", async () => {
    const error = await thrownBy(
      oauth2ClientCredentials({
        tokenUrl: "https://auth.example.com/token",
        clientId: "client-1",
        clientSecret: OAUTH_SECRET,
        resource: "https://wrong.example",
      }),
      () => Response.json({ error: "invalid_target" }, { status: 400 }),
    );
    expect(error.code).toBe("configuration");
    expect(error.providerCode).toBe("invalid_target");
  });
});
