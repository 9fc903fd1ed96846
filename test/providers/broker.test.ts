import { describe, expect, it } from "vitest";
import { broker, createTokenSource, type FetchLike } from "../../src/index.ts";
import { formBody } from "../support/form-body.ts";
import { thrown } from "../support/sent.ts";

const T0 = Date.parse("2026-11-23T12:00:00Z");

function recorder(answer: () => Response) {
  const requests: Request[] = [];
  const fetch: FetchLike = async (input, init) => {
    requests.push(new Request(input, init));
    return answer();
  };
  return { fetch, requests };
}

const granted = (scope = "ipospays:PaymentTokenization") =>
  Response.json({ access_token: "broker-jwt", token_type: "Bearer", expires_in: 300, scope });

describe("broker provider", () => {
  it("a backend uses client_credentials with Basic auth at <brokerUrl>/oauth/token", async () => {
    const { fetch, requests } = recorder(() => granted());
    const source = createTokenSource(
      broker({
        brokerUrl: "http://127.0.0.1:8787",
        scope: "ipospays:PaymentTokenization",
        clientId: "demo",
        clientSecret: "demo-secret",
      }),
      { runtime: { fetch, now: () => T0 } },
    );
    const token = await source.get();
    expect(token.expiresAt).toBe(T0 + 300_000);
    const [request] = requests;
    expect(request?.url).toBe("http://127.0.0.1:8787/oauth/token");
    expect(request?.headers.get("authorization")).toBe(`Basic ${btoa("demo:demo-secret")}`);
    const form = await formBody(request);
    expect(form.get("grant_type")).toBe("client_credentials");
    expect(form.get("scope")).toBe("ipospays:PaymentTokenization");
  });

  it("a token holder narrows its token by exchange (RFC 8693)", async () => {
    const { fetch, requests } = recorder(() => granted());
    const source = createTokenSource(
      broker({
        brokerUrl: "https://broker.example.com",
        scope: "ipospays:PaymentTokenization",
        subjectToken: () => "wide-token",
      }),
      { runtime: { fetch, now: () => T0 } },
    );
    await source.get();
    const form = await formBody(requests[0]);
    expect(form.get("grant_type")).toBe("urn:ietf:params:oauth:grant-type:token-exchange");
    expect(form.get("subject_token")).toBe("wide-token");
    expect(form.get("subject_token_type")).toBe("urn:ietf:params:oauth:token-type:access_token");
    expect(requests[0]?.headers.has("authorization")).toBe(false);
  });

  it("a page asks its backend's session URL and holds no credential", async () => {
    const { fetch, requests } = recorder(() => granted());
    const source = createTokenSource(
      broker({
        brokerUrl: "https://broker.example.com",
        scope: "ipospays:PaymentTokenization",
        sessionUrl: "https://shop.example.com/checkout/token",
      }),
      { runtime: { fetch, now: () => T0 } },
    );
    await source.get();
    expect(requests[0]?.url).toBe("https://shop.example.com/checkout/token");
    expect(requests[0]?.headers.has("authorization")).toBe(false);
  });

  it("refuses a token granted without the scope it asked for", async () => {
    const { fetch } = recorder(() => granted("papaya:payments"));
    const source = createTokenSource(
      broker({
        brokerUrl: "https://broker.example.com",
        scope: "ipospays:PaymentTokenization",
        clientId: "a",
        clientSecret: "b",
      }),
      { runtime: { fetch, now: () => T0 } },
    );
    await expect(source.get()).rejects.toMatchObject({ code: "scope" });
  });

  it("keys tokens for different audiences apart", () => {
    const base = {
      brokerUrl: "https://broker.example.com",
      scope: "ipospays:PaymentTokenization",
      clientId: "a",
      clientSecret: "b",
    };
    expect(broker({ ...base, resource: "https://one.example" }).key.scope).not.toBe(
      broker({ ...base, resource: "https://two.example" }).key.scope,
    );
  });

  it("needs exactly one way to authenticate, and a provider:scope", () => {
    const base = { brokerUrl: "https://broker.example.com", scope: "ipospays:PaymentTokenization" };
    expect(thrown(() => broker(base)).code).toBe("configuration");
    expect(
      thrown(() => broker({ ...base, clientId: "a", clientSecret: "b", sessionUrl: "/t" })).code,
    ).toBe("configuration");
    expect(thrown(() => broker({ ...base, clientId: "a" })).code).toBe("configuration");
    expect(
      thrown(() => broker({ ...base, scope: "everything", sessionUrl: "/t" })).message,
    ).toMatch(/scope/);
  });
});
