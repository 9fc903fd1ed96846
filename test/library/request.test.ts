import * as v from "valibot";
import { describe, expect, it } from "vitest";
import {
  EdgeTokenError,
  isEdgeTokenError,
  parseJson,
  resolveRuntime,
  retryAfterMs,
  sendRequest,
} from "../../src/index.ts";
import { recordError } from "../support/leaks.ts";

const T0 = Date.parse("2026-11-23T12:00:00Z");

/** A fetch that answers from a script, recording the waits the request helper asks for. */
function scripted(answers: Array<Response | Error>) {
  const waits: number[] = [];
  let calls = 0;
  const runtime = resolveRuntime({
    now: () => T0,
    random: () => 0.5,
    sleep: async (ms) => {
      waits.push(ms);
    },
    fetch: async () => {
      const answer = answers[Math.min(calls++, answers.length - 1)];
      if (answer instanceof Error) throw answer;
      return answer as Response;
    },
  });
  return { runtime, waits, calls: () => calls };
}

const build = () => new Request("https://auth.example.test/token", { method: "POST" });

async function rejection(promise: Promise<unknown>): Promise<EdgeTokenError> {
  try {
    await promise;
  } catch (error) {
    recordError(error);
    if (error instanceof EdgeTokenError) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}

describe("sendRequest", () => {
  it("retries network errors and 5xx with exponential backoff and full jitter", async () => {
    const { runtime, waits, calls } = scripted([
      new TypeError("network connection lost"),
      new Response("", { status: 502 }),
      new Response("ok"),
    ]);
    const sent = await sendRequest(build, runtime, { retries: 3, backoff: { baseMs: 100 } });
    expect(sent.body).toBe("ok");
    expect(calls()).toBe(3);
    // random() = 0.5: half of 100·2⁰ and of 100·2¹.
    expect(waits).toEqual([50, 100]);
  });

  it("caps the backoff", async () => {
    const { runtime, waits } = scripted([new Response("", { status: 500 })]);
    await rejection(
      sendRequest(build, runtime, { retries: 6, backoff: { baseMs: 1000, maxMs: 3000 } }),
    );
    expect(Math.max(...waits)).toBe(1500);
  });

  it("honours a Retry-After within the cap, in seconds or as a date", async () => {
    const inSeconds = scripted([
      new Response("", { status: 429, headers: { "Retry-After": "3" } }),
      new Response("ok"),
    ]);
    await sendRequest(build, inSeconds.runtime, { retries: 1 });
    expect(inSeconds.waits).toEqual([3000]);

    const asDate = scripted([
      new Response("", {
        status: 503,
        headers: { "Retry-After": new Date(T0 + 7000).toUTCString() },
      }),
      new Response("ok"),
    ]);
    await sendRequest(build, asDate.runtime, { retries: 1 });
    expect(asDate.waits).toEqual([7000]);
  });

  it("does not retry other statuses: they are the caller's to interpret", async () => {
    for (const status of [400, 401, 403, 404]) {
      const { runtime, calls } = scripted([new Response("{}", { status })]);
      const sent = await sendRequest(build, runtime, { retries: 3 });
      expect(sent.response.status).toBe(status);
      expect(calls()).toBe(1);
    }
  });

  it("refuses a declared Content-Length over the cap without reading the body", async () => {
    const { runtime } = scripted([
      new Response("small", { headers: { "Content-Length": "999999" } }),
    ]);
    const error = await rejection(sendRequest(build, runtime, { maxResponseBytes: 1024 }));
    expect(error.code).toBe("response_too_large");
    expect(error.retryable).toBe(true);
  });

  it("never follows a redirect: a 3xx comes back to the caller, credentials stay put", async () => {
    const seen: Request[] = [];
    const runtime = resolveRuntime({
      now: () => T0,
      fetch: async (input, init) => {
        seen.push(new Request(input, init));
        return new Response(null, {
          status: 307,
          headers: { Location: "https://elsewhere.example/" },
        });
      },
    });
    const sent = await sendRequest(build, runtime);
    expect(sent.response.status).toBe(307);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.redirect).toBe("manual");
  });

  it("a request that cannot be built is a configuration error that does not quote it", async () => {
    const { runtime, calls } = scripted([new Response("ok")]);
    const error = await rejection(
      sendRequest(
        () => {
          throw new TypeError('Headers.append: "s3cr3t-VALUE\nX" is an invalid header value');
        },
        runtime,
        { retries: 3 },
      ),
    );
    expect(error.code).toBe("configuration");
    expect(error.cause).toBeUndefined();
    expect(`${error.message}${String(error.stack)}`).not.toContain("s3cr3t");
    expect(calls()).toBe(0);
  });

  it("records when the request was sent and the response received", async () => {
    let t = T0;
    const runtime = resolveRuntime({
      now: () => t,
      fetch: async () => {
        t += 1500;
        return new Response("ok");
      },
    });
    const sent = await sendRequest(build, runtime);
    expect(sent.sentAt).toBe(T0);
    expect(sent.receivedAt).toBe(T0 + 1500);
  });
});

describe("retryAfterMs", () => {
  it("reads delta-seconds and HTTP dates, and ignores junk", () => {
    expect(retryAfterMs("120", T0)).toBe(120_000);
    expect(retryAfterMs(new Date(T0 + 5000).toUTCString(), T0)).toBe(5000);
    expect(retryAfterMs(new Date(T0 - 5000).toUTCString(), T0)).toBe(0);
    expect(retryAfterMs("soon", T0)).toBeUndefined();
    expect(retryAfterMs(null, T0)).toBeUndefined();
  });
});

describe("parseJson", () => {
  const Schema = v.object({ token: v.string(), expires_in: v.number() });

  it("returns the typed value", () => {
    expect(parseJson('{"token":"t","expires_in":60}', Schema, "X")).toEqual({
      token: "t",
      expires_in: 60,
    });
  });

  it("names the fields at fault and never the values", () => {
    const secret = "eyJhbGciOi.SECRET-TOKEN.sig";
    let error: unknown;
    try {
      parseJson(JSON.stringify({ token: 42, expires_in: secret }), Schema, "The provider", 200);
    } catch (caught) {
      error = caught;
    }
    expect(isEdgeTokenError(error, "invalid_response")).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain("token");
    expect(message).toContain("expires_in");
    expect(message).not.toContain(secret);
    expect(JSON.stringify(error)).not.toContain(secret);
  });

  it("refuses non-JSON without echoing it", () => {
    let error: unknown;
    try {
      parseJson("<html>secret-page</html>", Schema, "The provider");
    } catch (caught) {
      error = caught;
    }
    expect(isEdgeTokenError(error, "invalid_response")).toBe(true);
    expect((error as Error).message).not.toContain("secret-page");
  });
});

describe("EdgeTokenError", () => {
  it("is recognised across copies of the library by name and code", () => {
    const foreign = Object.assign(new Error("x"), { name: "EdgeTokenError", code: "timeout" });
    expect(isEdgeTokenError(foreign)).toBe(true);
    expect(isEdgeTokenError(foreign, "timeout")).toBe(true);
    expect(isEdgeTokenError(foreign, "credentials")).toBe(false);
    expect(isEdgeTokenError(new Error("x"))).toBe(false);
    expect(isEdgeTokenError(null)).toBe(false);
  });

  it("defaults retryable from the code", () => {
    expect(new EdgeTokenError("credentials", "no").retryable).toBe(false);
    expect(new EdgeTokenError("configuration", "no").retryable).toBe(false);
    expect(new EdgeTokenError("upstream_unavailable", "later").retryable).toBe(true);
    expect(new EdgeTokenError("rate_limited", "later", { retryAfterMs: 5 }).toJSON()).toMatchObject(
      {
        code: "rate_limited",
        retryable: true,
        retryAfterMs: 5,
      },
    );
  });
});
