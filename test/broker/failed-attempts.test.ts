/**
 * Failed attempts — wrong secrets, unknown client ids, tokens that do not verify — are counted
 * per source, never against the client they name: nobody can lock a client out, tell known ids
 * from unknown ones, or make the broker check secrets and signatures without bound. And each
 * leaves an audit line.
 */
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import {
  basic,
  brokerWorld,
  limitedClient,
  quietLogs,
  SHOP,
  type World,
} from "../support/broker.ts";

beforeEach(() => {
  quietLogs();
});

/** A form with Basic credentials (when a client is given), from `address`. */
function postFrom(
  world: World,
  address: string,
  path: string,
  client: { id: string; secret: string } | undefined,
  params: Record<string, string> = { grant_type: "client_credentials" },
): Promise<Response> {
  const headers: Record<string, string> = {
    "Content-Type": "application/x-www-form-urlencoded",
    "CF-Connecting-IP": address,
  };
  if (client !== undefined) headers.Authorization = basic(client);
  return world.send(path, { method: "POST", headers, body: new URLSearchParams(params) });
}

async function answerOf(response: Response) {
  return {
    status: response.status,
    headers: [...response.headers].filter(([name]) => name !== "date"),
    body: await response.text(),
  };
}

describe("failed attempts, per source", () => {
  it("wrong secrets never spend the client's budget: 150 guesses lock out the guesser, not the client", async () => {
    const client = limitedClient("limited-guessing", 3);
    const world = await brokerWorld({ clients: [client] });
    const attacker = "203.0.113.66";
    const statuses: number[] = [];
    for (let i = 0; i < 150; i++) {
      const wrong = await postFrom(world, attacker, "/oauth/token", {
        ...client,
        secret: `guess-${i}`,
      });
      statuses.push(wrong.status);
    }
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(statuses.slice(20)).toEqual(Array(130).fill(429));
    // Past its failure budget the guesser's attempts are not even compared: the right secret
    // from there is refused too, so guessing stays bounded.
    const fromAttacker = await postFrom(world, attacker, "/oauth/token", client);
    expect(fromAttacker.status).toBe(429);
    expect(fromAttacker.headers.get("retry-after")).toMatch(/^\d+$/);

    // The real client, from its own address, has its whole budget: a token, then its token at
    // introspection and at the proxy.
    const right = await world.post("/oauth/token", client, { grant_type: "client_credentials" });
    expect(right.status).toBe(200);
    const { access_token } = await right.json<{ access_token: string }>();
    expect((await world.post("/oauth/introspect", client, { token: access_token })).status).toBe(
      200,
    );
    const paid = await world.send("/proxy/papaya/v1/payments", {
      headers: { Authorization: `Bearer ${access_token}` },
    });
    expect(paid.status).toBe(200);
    // The guesser's budget comes back on time.
    world.clock.advance(60_000);
    expect((await postFrom(world, attacker, "/oauth/token", client)).status).toBe(200);
  });

  it("an unknown id and a wrong secret get the same answers, before and after the source's budget is spent", async () => {
    const world = await brokerWorld();
    const address = "203.0.113.67";
    // More unknown ids than any budget holds: 300 a minute was once the shared one.
    for (let i = 0; i < 320; i++) {
      await postFrom(world, address, "/oauth/token", { id: `nobody-${i}`, secret: "guess" });
    }
    const known = await postFrom(world, address, "/oauth/token", { ...SHOP, secret: "guess" });
    const unknown = await postFrom(world, address, "/oauth/token", { id: "nobody", secret: "x" });
    expect(await answerOf(known)).toEqual(await answerOf(unknown));
    expect(known.status).toBe(429);

    // The same from a fresh address, the other way round: first failures are 401 for both.
    const fresh = "203.0.113.68";
    const first = await answerOf(
      await postFrom(world, fresh, "/oauth/token", { ...SHOP, secret: "guess" }),
    );
    const second = await answerOf(
      await postFrom(world, fresh, "/oauth/token", { id: "nobody", secret: "guess" }),
    );
    expect(first).toEqual(second);
    expect(first.status).toBe(401);
  });

  it("failures at every endpoint spend their source's budget, never the client's", async () => {
    const client = limitedClient("limited-endpoints", 4);
    const world = await brokerWorld({ clients: [client] });
    const address = "203.0.113.69";
    const wrong = { ...client, secret: "wrong" };
    const forgedBearer = { Authorization: "Bearer eyJhbGciOiJub25lIn0.e30." };
    const statuses: number[] = [];
    for (let round = 0; round < 4; round++) {
      statuses.push(
        (await postFrom(world, address, "/oauth/token", wrong)).status,
        (await postFrom(world, address, "/oauth/revoke", wrong, { token: "x" })).status,
        (await postFrom(world, address, "/oauth/introspect", wrong, { token: "x" })).status,
        (await postFrom(world, address, "/provider-token", wrong, { scope: "papaya:payments" }))
          .status,
        (
          await world.send("/proxy/papaya/v1/payments", {
            headers: { ...forgedBearer, "CF-Connecting-IP": address },
          })
        ).status,
        (
          await postFrom(world, address, "/oauth/token", undefined, {
            grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
            subject_token: "eyJhbGciOiJub25lIn0.e30.",
            subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
          })
        ).status,
      );
    }
    const round = [401, 401, 401, 401, 401, 400];
    expect(statuses.slice(0, 20)).toEqual([...round, ...round, ...round, 401, 401]);
    expect(statuses.slice(20)).toEqual([429, 429, 429, 429]);
    // The client's own four requests are all still there.
    for (let i = 0; i < 4; i++) {
      expect((await world.post("/oauth/introspect", client, { token: "x" })).status).toBe(200);
    }
    expect((await world.post("/oauth/introspect", client, { token: "x" })).status).toBe(429);
  });

  it("a failure counts on its source's limiter, never on a client's, and an unknown id creates none", async () => {
    const names: string[] = [];
    const real = env.RATE_LIMITER;
    const recording = {
      idFromName(name: string) {
        names.push(name);
        return real.idFromName(name);
      },
      get: (id: DurableObjectId) => real.get(id),
    } as unknown as typeof real;
    const world = await brokerWorld({ vars: { RATE_LIMITER: recording } });
    const address = "203.0.113.70";
    const unknown = [];
    for (let i = 0; i < 5; i++) {
      const response = await postFrom(world, address, "/oauth/token", {
        id: `nobody-${i}`,
        secret: "guess",
      });
      unknown.push(response.status);
    }
    expect(unknown).toEqual([401, 401, 401, 401, 401]);
    const wrong = await postFrom(world, address, "/oauth/token", { ...SHOP, secret: "guess" });
    expect(wrong.status).toBe(401);
    expect(names).toEqual(Array(6).fill(`failures from ${address}`));
    expect((await postFrom(world, address, "/oauth/token", SHOP)).status).toBe(200);
    expect(names.at(-1)).toBe(SHOP.id);
  });

  it("failed authentications, refused tokens and spent budgets each leave an audit line, without a secret or a token", async () => {
    const { warn } = quietLogs();
    const client = limitedClient("limited-audit", 1);
    const world = await brokerWorld({ clients: [client] });
    const address = "203.0.113.71";
    const { access_token } = await world.token(client);
    await postFrom(world, address, "/oauth/token", { ...client, secret: "wrong-secret-1" });
    await postFrom(world, address, "/oauth/token", { id: "demo-secret-pasted", secret: "x" });
    const tampered = `${access_token.slice(0, -4)}AAAA`;
    await world.send("/proxy/papaya/v1/payments", {
      headers: { Authorization: `Bearer ${tampered}`, "CF-Connecting-IP": address },
    });
    await world.send("/proxy/papaya/v1/payments", {
      headers: { Authorization: `Bearer ${access_token}` },
    });
    const lines = warn.mock.calls.map(([line]) => String(line));
    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const at = new Date(world.clock.now()).toISOString();
    expect(events).toEqual([
      {
        event: "auth_failed",
        path: "/oauth/token",
        source: address,
        client_id: client.id,
        at,
      },
      { event: "auth_failed", path: "/oauth/token", source: address, at },
      {
        event: "token_refused",
        path: "/proxy/papaya/v1/payments",
        source: address,
        reason: "signature",
        at,
      },
      { event: "rate_limited", limiter: client.id, retry_after: 60, at },
    ]);
    const everything = lines.join("\n");
    for (const secret of [access_token, tampered, "wrong-secret-1", "demo-secret-pasted"]) {
      expect(everything).not.toContain(secret);
    }
  });
});
