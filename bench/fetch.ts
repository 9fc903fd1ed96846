/**
 * `source.fetch` beside a plain `fetch` with the header set by hand, against a local HTTP server
 * on 127.0.0.1 that reads the whole body and answers a small JSON: GET, and POST with 1 KB of
 * JSON (a payment request's size). google-auth-library's `client.fetch` runs beside them for
 * scale. One request at a time over keep-alive, interleaved call by call; per round the ratio of
 * the totals, and the median of the rounds' ratios.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { UserRefreshClient } from "google-auth-library";
import * as current from "../src/index.ts";
import { baselineRoot } from "./support/baseline.ts";
import { median } from "./support/rounds.ts";
import { startTokenServer } from "./support/token-server.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const CALLS_PER_ROUND = 300;

export interface FetchResult {
  getRatio: number;
  postRatio: number;
  /** The same ratios for the baseline commit's `source.fetch`, in the same rounds. */
  baseline: { getRatio: number; postRatio: number } | null;
  /** google-auth-library's `client.fetch` ÷ the plain fetch. */
  google: { getRatio: number; postRatio: number };
  /** µs per request, medians. */
  us: Record<string, number>;
  /** Every round's ratio, by contender. */
  rounds: Record<string, number[]>;
}

/** An API that reads the request to the end and answers `{"ok":true}`. */
async function startApi(): Promise<{ url: string; close(): Promise<void> }> {
  const answer = '{"ok":true}';
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      response.writeHead(200, {
        "content-type": "application/json",
        "content-length": answer.length,
      });
      response.end(answer);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/payments`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** 1 KB of JSON, shaped like a payment. */
export const PAYMENT = JSON.stringify({
  amount: 1250,
  currency: "USD",
  reference: "order-0001",
  description: "x".repeat(1024 - 78),
});

export async function fetchBench(tokenServer: { http: string }): Promise<FetchResult> {
  const api = await startApi();
  try {
    const root = baselineRoot();
    const before: typeof current | undefined =
      root === undefined ? undefined : await import(`${root}/src/index.ts`);
    const sourceOf = (edgetoken: typeof current) =>
      edgetoken.createTokenSource(
        edgetoken.oauth2ClientCredentials({
          tokenUrl: `${tokenServer.http}/edgetoken/token`,
          clientId: "bench",
          clientSecret: "bench-secret",
        }),
      );
    const source = sourceOf(current);
    const old = before === undefined ? undefined : sourceOf(before);
    await old?.get();
    const google = new UserRefreshClient({
      clientId: "bench",
      clientSecret: "bench-secret",
      refreshToken: "bench-refresh",
      endpoints: { oauth2TokenUrl: `${tokenServer.http}/google/token` },
    });
    const token = (await source.get()).value;
    await google.getAccessToken();
    const json = { "content-type": "application/json" };
    const drain = async (response: Response | { data?: unknown }) => {
      if (response instanceof Response) await response.arrayBuffer();
    };
    const calls: Record<string, () => Promise<void>> = {
      plainGet: async () =>
        drain(await fetch(api.url, { headers: { authorization: `Bearer ${token}` } })),
      edgetokenGet: async () => drain(await source.fetch(api.url)),
      googleGet: async () => drain(await google.fetch(api.url)),
      plainPost: async () =>
        drain(
          await fetch(api.url, {
            method: "POST",
            headers: { ...json, authorization: `Bearer ${token}` },
            body: PAYMENT,
          }),
        ),
      edgetokenPost: async () =>
        drain(await source.fetch(api.url, { method: "POST", headers: json, body: PAYMENT })),
      googlePost: async () =>
        drain(await google.fetch(api.url, { method: "POST", headers: json, body: PAYMENT })),
    };
    if (old !== undefined) {
      calls["edgetokenGet:baseline"] = async () => drain(await old.fetch(api.url));
      calls["edgetokenPost:baseline"] = async () =>
        drain(await old.fetch(api.url, { method: "POST", headers: json, body: PAYMENT }));
    }
    const names = Object.keys(calls);
    for (const name of names) for (let i = 0; i < 50; i++) await (calls[name] as () => unknown)();
    // Interleaved call by call, the order rotating, so drift in the machine's load falls on
    // every contender alike; each round gives a mean per contender, and the ratios of that round.
    const means: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
    const ratios: Record<string, number[]> = {};
    for (let round = 0; round < ROUNDS; round++) {
      const total: Record<string, number> = Object.fromEntries(names.map((name) => [name, 0]));
      for (let i = 0; i < CALLS_PER_ROUND; i++) {
        for (let k = 0; k < names.length; k++) {
          const name = names[(i + k) % names.length] as string;
          const start = process.hrtime.bigint();
          await (calls[name] as () => unknown)();
          total[name] = (total[name] as number) + Number(process.hrtime.bigint() - start);
        }
      }
      for (const name of names) {
        (means[name] as number[]).push((total[name] as number) / CALLS_PER_ROUND);
      }
      const ratio = (name: string, plain: string) => {
        const list = ratios[name] ?? [];
        list.push((total[name] as number) / (total[plain] as number));
        ratios[name] = list;
      };
      ratio("edgetokenGet", "plainGet");
      ratio("edgetokenPost", "plainPost");
      ratio("googleGet", "plainGet");
      ratio("googlePost", "plainPost");
      if (old !== undefined) {
        ratio("edgetokenGet:baseline", "plainGet");
        ratio("edgetokenPost:baseline", "plainPost");
      }
    }
    const us = Object.fromEntries(
      names.map((name) => [name, median(means[name] as number[]) / 1000]),
    );
    const ratioOf = (name: string) => median(ratios[name] as number[]);
    return {
      getRatio: ratioOf("edgetokenGet"),
      postRatio: ratioOf("edgetokenPost"),
      baseline:
        old === undefined
          ? null
          : {
              getRatio: ratioOf("edgetokenGet:baseline"),
              postRatio: ratioOf("edgetokenPost:baseline"),
            },
      google: { getRatio: ratioOf("googleGet"), postRatio: ratioOf("googlePost") },
      us,
      rounds: ratios,
    };
  } finally {
    await api.close();
  }
}

if (import.meta.main) {
  const server = await startTokenServer();
  try {
    console.log(JSON.stringify(await fetchBench(server)));
  } finally {
    await server.close();
  }
}
