/**
 * The broker's checks as pure functions of (request parameters, policy, clock): what a caller
 * may have, and that a token exchange only ever narrows.
 */
import { describe, expect, it } from "vitest";
import type { ClientPolicy } from "../../worker/oauth/client-policy.ts";
import {
  chooseAudience,
  chooseLifetime,
  clientCredentialsGrant,
  grantScopes,
  requestedScopes,
  tokenExchangeGrant,
} from "../../worker/oauth/grants.ts";

const CLIENT: ClientPolicy = {
  id: "shop",
  secretHash: `sha256:${"A".repeat(43)}`,
  scopes: ["ipospays:PaymentTokenization", "papaya:payments"],
  audiences: ["edgetoken-demo", "https://payments.example"],
  maxLifetime: 600,
  origins: [],
  providerTokens: false,
  operator: false,
  rateLimit: { requests: 10, windowSeconds: 60 },
};

const params = (values: Record<string, string>) => new URLSearchParams(values);

describe("scope", () => {
  it("reads the scope parameter: absent, a list, or invalid", () => {
    expect(requestedScopes(null)).toEqual({ ok: true, value: undefined });
    expect(requestedScopes("a  b")).toEqual({ ok: true, value: ["a", "b"] });
    expect(requestedScopes("")).toMatchObject({ ok: false, failure: { kind: "invalid_scope" } });
    expect(requestedScopes("a\\b")).toMatchObject({
      ok: false,
      failure: { kind: "invalid_scope" },
    });
  });

  it("grants the intersection of every set, in the policy's order", () => {
    expect(grantScopes(undefined, CLIENT.scopes)).toEqual({ ok: true, value: CLIENT.scopes });
    expect(grantScopes(["papaya:payments", "x"], CLIENT.scopes)).toEqual({
      ok: true,
      value: ["papaya:payments"],
    });
    expect(grantScopes(undefined, CLIENT.scopes, ["papaya:payments"])).toEqual({
      ok: true,
      value: ["papaya:payments"],
    });
    expect(grantScopes(["x"], CLIENT.scopes)).toMatchObject({ ok: false });
  });
});

describe("audience and lifetime", () => {
  it("takes a listed resource, the default when absent, and refuses the rest", () => {
    expect(chooseAudience(null, CLIENT.audiences, "edgetoken-demo")).toEqual({
      ok: true,
      value: "edgetoken-demo",
    });
    expect(chooseAudience("https://payments.example", CLIENT.audiences, "x")).toEqual({
      ok: true,
      value: "https://payments.example",
    });
    expect(chooseAudience("https://other.example", CLIENT.audiences, "x")).toEqual({
      ok: false,
      failure: { kind: "invalid_target" },
    });
  });

  it("is five minutes by default, shorter on request, never above the cap", () => {
    expect(chooseLifetime(null, 900)).toEqual({ ok: true, value: 300 });
    expect(chooseLifetime(null, 120)).toEqual({ ok: true, value: 120 });
    expect(chooseLifetime("30", 900)).toEqual({ ok: true, value: 30 });
    expect(chooseLifetime("5000", 900)).toEqual({ ok: true, value: 900 });
    expect(chooseLifetime("0", 900)).toMatchObject({
      ok: false,
      failure: { kind: "invalid_request" },
    });
  });
});

describe("grants", () => {
  it("client_credentials: everything the policy allows, narrowed by the request", () => {
    expect(
      clientCredentialsGrant(params({ scope: "papaya:payments", expires_in: "60" }), CLIENT),
    ).toEqual({
      ok: true,
      value: {
        subject: "shop",
        clientId: "shop",
        scopes: ["papaya:payments"],
        audience: "edgetoken-demo",
        lifetime: 60,
      },
    });
  });

  const subject = {
    sub: "shop",
    client_id: "shop",
    scope: "papaya:payments",
    aud: "https://payments.example",
    exp: 1_000,
    jti: "subject-jti",
  };
  const base = {
    subject_token: "t",
    subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
  };

  it("token exchange narrows scope and lifetime, keeps the audience, and never widens any of them", () => {
    expect(tokenExchangeGrant(params(base), CLIENT, subject, 900)).toEqual({
      ok: true,
      value: {
        subject: "shop",
        clientId: "shop",
        scopes: ["papaya:payments"],
        audience: "https://payments.example",
        lifetime: 100,
        rootJti: "subject-jti",
      },
    });
    const wider = params({ ...base, scope: "ipospays:PaymentTokenization" });
    expect(tokenExchangeGrant(wider, CLIENT, subject, 900)).toMatchObject({
      ok: false,
      failure: { kind: "invalid_scope" },
    });
    const other = params({ ...base, resource: "https://elsewhere.example" });
    expect(tokenExchangeGrant(other, CLIENT, subject, 900)).toMatchObject({
      ok: false,
      failure: { kind: "invalid_target" },
    });
    expect(tokenExchangeGrant(params(base), CLIENT, subject, 1_000)).toMatchObject({
      ok: false,
      failure: { kind: "invalid_grant" },
    });
    const byAnother = tokenExchangeGrant(params(base), { ...CLIENT, id: "payroll" }, subject, 900);
    expect(byAnother).toMatchObject({
      ok: true,
      value: { subject: "shop", clientId: "payroll", actor: "payroll" },
    });
  });

  it("token exchange never re-targets: not to another audience of the client, not to one the client lacks", () => {
    const retarget = params({ ...base, resource: "edgetoken-demo" });
    expect(tokenExchangeGrant(retarget, CLIENT, subject, 900)).toEqual({
      ok: false,
      failure: { kind: "invalid_target" },
    });
    const same = params({ ...base, audience: "https://payments.example" });
    expect(tokenExchangeGrant(same, CLIENT, subject, 900)).toMatchObject({
      ok: true,
      value: { audience: "https://payments.example" },
    });
    const lacking = { ...CLIENT, id: "payroll", audiences: ["edgetoken-demo"] as [string] };
    expect(tokenExchangeGrant(params(base), lacking, subject, 900)).toEqual({
      ok: false,
      failure: { kind: "invalid_target" },
    });
  });

  it("token exchange keeps the root of a chain, and the actor of a token given by exchange", () => {
    const exchanged = { ...subject, client_id: "payroll", jti: "child", root_jti: "root" };
    const byHolder = tokenExchangeGrant(params(base), { ...CLIENT, id: "payroll" }, exchanged, 900);
    expect(byHolder).toMatchObject({
      ok: true,
      value: { subject: "shop", clientId: "payroll", actor: "payroll", rootJti: "root" },
    });
    const bySubject = tokenExchangeGrant(params(base), CLIENT, exchanged, 900);
    expect(bySubject).toMatchObject({ ok: true, value: { clientId: "shop", rootJti: "root" } });
    expect(bySubject.ok && bySubject.value).not.toHaveProperty("actor");
  });
});
