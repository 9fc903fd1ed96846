/**
 * `POST /oauth/token` with RFC 8693 token exchange, which only ever narrows.
 */
import { beforeEach, describe, expect, it } from "vitest";
import {
  AUDIENCE,
  brokerWorld,
  errorOf,
  form,
  PAYROLL,
  payloadOf,
  quietLogs,
  SHOP,
  type World,
} from "../support/broker.ts";

const EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token";

beforeEach(() => {
  quietLogs();
});

describe("token exchange (RFC 8693): downscoping only", () => {
  async function exchange(
    world: World,
    client: typeof SHOP,
    subject: string,
    params: Record<string, string> = {},
  ) {
    return world.post("/oauth/token", client, {
      grant_type: EXCHANGE,
      subject_token: subject,
      subject_token_type: ACCESS_TOKEN,
      ...params,
    });
  }

  it("narrows scope and lifetime, keeps the audience, and says what it issued", async () => {
    const world = await brokerWorld();
    const subject = await world.token(SHOP, { resource: "https://payments.example" });
    const response = await exchange(world, SHOP, subject.access_token, {
      scope: "ipospays:PaymentTokenization",
      resource: "https://payments.example",
      expires_in: "60",
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = await response.json<Record<string, unknown>>();
    expect(body).toEqual({
      access_token: expect.any(String),
      token_type: "Bearer",
      expires_in: 60,
      scope: "ipospays:PaymentTokenization",
      issued_token_type: ACCESS_TOKEN,
    });
    const claims = payloadOf(String(body.access_token));
    expect(claims).toMatchObject({
      sub: "shop",
      client_id: "shop",
      aud: "https://payments.example",
      scope: "ipospays:PaymentTokenization",
    });
    expect(claims.jti).not.toBe(payloadOf(subject.access_token).jti);
    expect(claims).not.toHaveProperty("act");
  });

  it("without parameters, keeps the subject's scope and audience", async () => {
    const world = await brokerWorld();
    const subject = await world.token(SHOP, {
      scope: "papaya:payments",
      resource: "https://payments.example",
    });
    const exchanged = await (await exchange(world, SHOP, subject.access_token)).json<{
      access_token: string;
      scope: string;
    }>();
    expect(exchanged.scope).toBe("papaya:payments");
    expect(payloadOf(exchanged.access_token).aud).toBe("https://payments.example");
  });

  it("never widens scope: asking for more gets the intersection, nothing in common is invalid_scope", async () => {
    const world = await brokerWorld();
    const subject = await world.token(SHOP, { scope: "papaya:payments" });
    const wider = await (
      await exchange(world, SHOP, subject.access_token, {
        scope: "papaya:payments ipospays:Recurring",
      })
    ).json<{ scope: string }>();
    expect(wider.scope).toBe("papaya:payments");
    const other = await errorOf(
      await exchange(world, SHOP, subject.access_token, { scope: "ipospays:Recurring" }),
    );
    expect(other).toMatchObject({ status: 400, body: { error: "invalid_scope" } });
  });

  it("never outlives the subject token", async () => {
    const world = await brokerWorld();
    const subject = await world.token(SHOP, { expires_in: "100" });
    world.clock.advance(70_000);
    const exchanged = await (
      await exchange(world, SHOP, subject.access_token, { expires_in: "600" })
    ).json<{ access_token: string; expires_in: number }>();
    expect(exchanged.expires_in).toBe(30);
    expect(payloadOf(exchanged.access_token).exp).toBe(payloadOf(subject.access_token).exp);
  });

  it("the audience is the subject's: naming it is fine, naming another is invalid_target", async () => {
    const world = await brokerWorld();
    const subject = await world.token(SHOP);
    for (const resource of ["https://payroll.example", "https://payments.example"]) {
      const refused = await errorOf(
        await exchange(world, SHOP, subject.access_token, { resource }),
      );
      expect(refused, resource).toMatchObject({ status: 400, body: { error: "invalid_target" } });
    }
    const byAudience = await exchange(world, SHOP, subject.access_token, { audience: AUDIENCE });
    expect(payloadOf((await byAudience.json<{ access_token: string }>()).access_token).aud).toBe(
      AUDIENCE,
    );
  });

  it("another client narrowing a token it holds is named as the actor, within its own scopes", async () => {
    const world = await brokerWorld();
    const subject = await world.token(SHOP);
    const response = await exchange(world, PAYROLL, subject.access_token);
    const body = await response.json<{ access_token: string; scope: string; expires_in: number }>();
    expect(body.scope).toBe("papaya:payments");
    expect(body.expires_in).toBe(120);
    expect(payloadOf(body.access_token)).toMatchObject({
      sub: "shop",
      client_id: "payroll",
      act: { sub: "payroll" },
      aud: AUDIENCE,
    });
  });

  it("a subject token that is not a live broker token is invalid_grant", async () => {
    const world = await brokerWorld();
    const subject = await world.token(SHOP);
    const [header, payload, signature] = subject.access_token.split(".");
    const cases = ["not-a-jwt", `${header}.${payload}.${signature?.slice(0, -4)}AAAA`];
    for (const token of cases) {
      expect((await errorOf(await exchange(world, SHOP, token))).body.error).toBe("invalid_grant");
    }
    world.clock.advance(301_000);
    expect((await errorOf(await exchange(world, SHOP, subject.access_token))).body).toEqual({
      error: "invalid_grant",
      error_description: "The subject token is invalid, expired or revoked.",
    });
  });

  it("a revoked subject token cannot be exchanged", async () => {
    const world = await brokerWorld();
    const subject = await world.token(SHOP);
    expect((await world.post("/oauth/revoke", SHOP, { token: subject.access_token })).status).toBe(
      200,
    );
    expect((await errorOf(await exchange(world, SHOP, subject.access_token))).body.error).toBe(
      "invalid_grant",
    );
  });

  it("missing or unsupported exchange parameters are invalid_request", async () => {
    const world = await brokerWorld();
    const subject = (await world.token(SHOP)).access_token;
    const cases: Array<Record<string, string>> = [
      { grant_type: EXCHANGE, subject_token_type: ACCESS_TOKEN },
      { grant_type: EXCHANGE, subject_token: subject },
      {
        grant_type: EXCHANGE,
        subject_token: subject,
        subject_token_type: "urn:ietf:params:oauth:token-type:id_token",
      },
      {
        grant_type: EXCHANGE,
        subject_token: subject,
        subject_token_type: ACCESS_TOKEN,
        requested_token_type: "urn:ietf:params:oauth:token-type:refresh_token",
      },
      {
        grant_type: EXCHANGE,
        subject_token: subject,
        subject_token_type: ACCESS_TOKEN,
        actor_token: subject,
      },
      {
        grant_type: EXCHANGE,
        subject_token: subject,
        subject_token_type: ACCESS_TOKEN,
        resource: AUDIENCE,
        audience: AUDIENCE,
      },
    ];
    for (const params of cases) {
      const result = await errorOf(await world.post("/oauth/token", SHOP, params));
      expect(result, JSON.stringify(Object.keys(params))).toMatchObject({
        status: 400,
        body: { error: "invalid_request" },
      });
    }
  });

  it("without client credentials, the holder narrows its token as that token's client", async () => {
    const world = await brokerWorld();
    const subject = (await world.token(SHOP)).access_token;
    const response = await world.send(
      "/oauth/token",
      form({
        grant_type: EXCHANGE,
        subject_token: subject,
        subject_token_type: ACCESS_TOKEN,
        scope: "papaya:payments",
      }),
    );
    expect(response.status).toBe(200);
    const { access_token } = await response.json<{ access_token: string }>();
    expect(payloadOf(access_token)).toMatchObject({
      sub: "shop",
      client_id: "shop",
      scope: "papaya:payments",
    });
    expect(payloadOf(access_token)).not.toHaveProperty("act");

    const garbage = await world.send(
      "/oauth/token",
      form({ grant_type: EXCHANGE, subject_token: "garbage", subject_token_type: ACCESS_TOKEN }),
    );
    expect((await errorOf(garbage)).body.error).toBe("invalid_grant");
  });

  it("possession alone cannot retarget a token: a payments.example token never becomes a broker-audience token", async () => {
    const world = await brokerWorld();
    const subject = await world.token(SHOP, {
      scope: "ipospays:PaymentTokenization",
      resource: "https://payments.example",
    });
    for (const params of [{ resource: AUDIENCE }, { audience: AUDIENCE }]) {
      const response = await world.send(
        "/oauth/token",
        form({
          grant_type: EXCHANGE,
          subject_token: subject.access_token,
          subject_token_type: ACCESS_TOKEN,
          ...params,
        }),
      );
      expect(await errorOf(response), JSON.stringify(params)).toMatchObject({
        status: 400,
        body: { error: "invalid_target" },
      });
    }
    // Without a resource it keeps its audience, which the proxy does not accept.
    const kept = await world.send(
      "/oauth/token",
      form({
        grant_type: EXCHANGE,
        subject_token: subject.access_token,
        subject_token_type: ACCESS_TOKEN,
      }),
    );
    expect(payloadOf((await kept.json<{ access_token: string }>()).access_token).aud).toBe(
      "https://payments.example",
    );
  });

  it("another client cannot retarget a token it holds to an audience of its own", async () => {
    const world = await brokerWorld();
    const subject = await world.token(SHOP);
    const response = await exchange(world, PAYROLL, subject.access_token, {
      resource: "https://payroll.example",
    });
    expect(await errorOf(response)).toMatchObject({
      status: 400,
      body: { error: "invalid_target" },
    });
  });

  it("another client cannot re-issue a token for an audience it may not have itself", async () => {
    const world = await brokerWorld();
    const subject = await world.token(SHOP, {
      scope: "papaya:payments",
      resource: "https://payments.example",
    });
    const response = await exchange(world, PAYROLL, subject.access_token);
    expect(await errorOf(response)).toMatchObject({
      status: 400,
      body: { error: "invalid_target" },
    });
  });

  it("credentials that are presented must be right, even for an exchange", async () => {
    const world = await brokerWorld();
    const subject = (await world.token(SHOP)).access_token;
    const response = await world.post(
      "/oauth/token",
      { ...SHOP, secret: "wrong" },
      { grant_type: EXCHANGE, subject_token: subject, subject_token_type: ACCESS_TOKEN },
    );
    expect(response.status).toBe(401);
  });
});
