/**
 * Token attacks, table-driven: every row of test/support/attacks.ts at every endpoint that takes
 * a token — the proxy, introspection, revocation, token exchange (authenticated, and with the
 * token as the only credential), `/provider-token` and the RPC entrypoint — each its own test.
 * A refused token changes nothing: the broker fetched nothing (no `jku`, no provider), and the
 * victim — the live token a forgery copies — is still alive afterwards. The genuine tokens at the
 * end of each column are taken, so every refusal above is the row's doing.
 * docs/reliability/attacks.md is this table in prose.
 */
import { beforeEach, describe, expect, it } from "vitest";
import {
  ACCESS_TOKEN_TYPE,
  ATTACKS,
  type Attack,
  type AttackContext,
  GENUINE,
  TOKEN_EXCHANGE,
} from "../support/attacks.ts";
import {
  basic,
  brokerWorld,
  PAYROLL,
  payloadOf,
  quietLogs,
  SHOP,
  type World,
} from "../support/broker.ts";
import { bound, refusal } from "../support/rpc.ts";

let logs: ReturnType<typeof quietLogs>;

beforeEach(() => {
  logs = quietLogs();
});

/**
 * The refusal lines (console.warn) written since `from`: an endpoint where the token is the
 * credential leaves one `token_refused` line per refusal, naming why (issue 10, item 6).
 */
function refusalsSince(from: number): Array<Record<string, unknown>> {
  return logs.warn.mock.calls.slice(from).map(([line]) => JSON.parse(String(line)));
}

function expectOneRefusalLine(from: number, path: string, client?: string): void {
  expect(refusalsSince(from)).toEqual([
    expect.objectContaining({
      event: "token_refused",
      path,
      ...(client === undefined ? {} : { client_id: client }),
      reason: expect.stringMatching(/^(malformed|signature|claims|expired|revoked)$/),
    }),
  ]);
}

const TRANSACT = "/proxy/ipospays/api/v3/iposTransact";
const PROVIDER_SCOPE = "ipospays:PaymentTokenization";
const REVOKED_PREFIX = "edgetoken:broker:v1:revoked:";

interface Column {
  /** Presents a row's token and checks the refusal. */
  refuses(context: AttackContext, token: string): Promise<void>;
  /** Presents a genuine token and checks what it gets. */
  takes(context: AttackContext, token: string): Promise<void>;
}

async function introspect(world: World, token: string): Promise<Record<string, unknown>> {
  const response = await world.post("/oauth/introspect", SHOP, { token });
  expect(response.status).toBe(200);
  expect(response.headers.get("cache-control")).toBe("no-store");
  return response.json<Record<string, unknown>>();
}

function transact(world: World, token: string): Promise<Response> {
  return world.send(TRANSACT, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ amount: 1000 }),
  });
}

function exchange(world: World, token: string, authenticated: boolean): Promise<Response> {
  return world.post("/oauth/token", authenticated ? SHOP : undefined, {
    grant_type: TOKEN_EXCHANGE,
    subject_token: token,
    subject_token_type: ACCESS_TOKEN_TYPE,
    scope: PROVIDER_SCOPE,
  });
}

function providerTokenByBearer(world: World, token: string): Promise<Response> {
  return world.send("/provider-token", {
    method: "POST",
    headers: {
      Authorization: `Bearer ${token}`,
      "Content-Type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ scope: PROVIDER_SCOPE }).toString(),
  });
}

async function revokedCount(world: World): Promise<number> {
  return (await world.env.TOKENS.list({ prefix: REVOKED_PREFIX })).keys.length;
}

/** RFC 8693 §2.2.2 (RFC 6749 §5.2): a subject token that is not good is `invalid_grant`. */
async function expectInvalidGrant(response: Response): Promise<void> {
  expect(response.status).toBe(400);
  expect(response.headers.get("cache-control")).toBe("no-store");
  expect(await response.json()).toEqual({
    error: "invalid_grant",
    error_description: "The subject token is invalid, expired or revoked.",
  });
}

async function expectExchanged(response: Response, token: string): Promise<void> {
  expect(response.status).toBe(200);
  const body = await response.json<{ access_token: string; issued_token_type: string }>();
  expect(body.issued_token_type).toBe(ACCESS_TOKEN_TYPE);
  expect(payloadOf(body.access_token).sub).toBe(payloadOf(token).sub);
}

/** RFC 6749 §5.2 for an endpoint that authenticates clients, not tokens: Basic is the way in. */
async function expectInvalidClient(response: Response): Promise<void> {
  expect(response.status).toBe(401);
  expect(response.headers.get("www-authenticate")).toBe('Basic realm="edgetoken"');
  expect(response.headers.get("cache-control")).toBe("no-store");
  expect(await response.json()).toEqual({
    error: "invalid_client",
    error_description: "Client authentication failed.",
  });
}

/**
 * RPC takes no token: the binding is the credential. A token is refused wherever a caller can
 * put one — as the binding's props, beside them, as an argument — and buys nothing, genuine or not.
 */
async function rpcRefuses(world: World, token: string): Promise<void> {
  const unbound = bound(world, undefined);
  const request = { subject_token: token } as never;
  expect((await refusal(unbound.brokerToken(request))).code).toBe("invalid_client");
  expect((await refusal(unbound.providerToken(token))).code).toBe("invalid_client");
  const asToken = bound(world, { clientId: token, token });
  expect((await refusal(asToken.brokerToken({}))).code).toBe("invalid_client");
  // A bound client that passes a token along gets no exchange and no wider grant: refused.
  const payroll = bound(world, { clientId: PAYROLL.id });
  expect((await refusal(payroll.brokerToken(request))).code).toBe("invalid_request");
  const shop = bound(world, { clientId: SHOP.id });
  expect((await refusal(shop.providerToken(token))).code).toBe("invalid_scope");
}

const COLUMNS: Readonly<Record<string, Column>> = {
  "the proxy (RFC 6750 §3.1: 401 invalid_token)": {
    async refuses({ world }, token) {
      const from = logs.warn.mock.calls.length;
      const response = await transact(world, token);
      expectOneRefusalLine(from, TRANSACT);
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe(
        'Bearer realm="edgetoken", error="invalid_token"',
      );
      expect(await response.json()).toEqual({
        error: "invalid_token",
        error_description: "The access token is invalid, expired or revoked.",
      });
    },
    async takes({ world }, token) {
      expect((await transact(world, token)).status).toBe(200);
    },
  },
  'introspection (RFC 7662 §2.2: {"active":false})': {
    async refuses({ world }, token) {
      expect(await introspect(world, token)).toEqual({ active: false });
    },
    async takes({ world }, token) {
      expect(await introspect(world, token)).toMatchObject({
        active: true,
        jti: payloadOf(token).jti,
      });
    },
  },
  "revocation (RFC 7009 §2.2: 200, and nothing revoked)": {
    async refuses({ world }, token) {
      const before = await revokedCount(world);
      const response = await world.post("/oauth/revoke", SHOP, { token });
      expect(response.status).toBe(200);
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(await response.text()).toBe("");
      expect(await revokedCount(world)).toBe(before);
    },
    async takes({ world }, token) {
      const before = await revokedCount(world);
      expect((await world.post("/oauth/revoke", SHOP, { token })).status).toBe(200);
      expect(await revokedCount(world)).toBe(before + 1);
      expect(await introspect(world, token)).toEqual({ active: false });
    },
  },
  "token exchange, authenticated (RFC 8693 §2.2.2: invalid_grant)": {
    async refuses({ world }, token) {
      const from = logs.warn.mock.calls.length;
      await expectInvalidGrant(await exchange(world, token, true));
      expectOneRefusalLine(from, "/oauth/token", SHOP.id);
    },
    async takes({ world }, token) {
      await expectExchanged(await exchange(world, token, true), token);
    },
  },
  "token exchange, the token the only credential (RFC 8693 §2.2.2: invalid_grant)": {
    async refuses({ world }, token) {
      const from = logs.warn.mock.calls.length;
      await expectInvalidGrant(await exchange(world, token, false));
      expectOneRefusalLine(from, "/oauth/token");
    },
    async takes({ world }, token) {
      await expectExchanged(await exchange(world, token, false), token);
    },
  },
  "/provider-token (RFC 6749 §5.2: 401 invalid_client, a bearer token is no credential)": {
    async refuses({ world }, token) {
      await expectInvalidClient(await providerTokenByBearer(world, token));
    },
    async takes({ world }, token) {
      // Not even a genuine broker token buys the provider's token; the client's secret does.
      await expectInvalidClient(await providerTokenByBearer(world, token));
      const withSecret = await world.send("/provider-token", {
        method: "POST",
        headers: {
          Authorization: basic(SHOP),
          "Content-Type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ scope: PROVIDER_SCOPE }).toString(),
      });
      expect(withSecret.status).toBe(200);
    },
  },
  "the RPC entrypoint (no token is a credential: invalid_client, invalid_request)": {
    async refuses({ world }, token) {
      await rpcRefuses(world, token);
    },
    async takes({ world }, token) {
      await rpcRefuses(world, token);
      // The binding alone is enough.
      expect((await bound(world, { clientId: SHOP.id }).brokerToken({})).token_type).toBe("Bearer");
    },
  },
};

async function setUp(attack: Attack): Promise<{ context: AttackContext; token: string }> {
  const world = await brokerWorld();
  const victim = (await world.token(SHOP, { expires_in: "900" })).access_token;
  const context = { world, victim };
  return { context, token: await attack(context) };
}

describe.each(Object.entries(COLUMNS))("%s", (_name, column) => {
  it.each(Object.entries(ATTACKS))("refuses %s", async (_row, attack) => {
    const { context, token } = await setUp(attack);
    await column.refuses(context, token);
    // Nothing was fetched: no key from a jku or x5u, no provider call.
    expect(context.world.outbound).toEqual([]);
    // The live token the forgery copied is untouched.
    expect(await introspect(context.world, context.victim)).toMatchObject({ active: true });
  });

  it.each(Object.entries(GENUINE))("takes a genuine token: %s", async (_row, make) => {
    const { context, token } = await setUp(make);
    await column.takes(context, token);
  });
});
