/**
 * The cached path: `await source.get()` beside google-auth-library's `getAccessToken()`,
 * @azure/identity's `getToken()` and an awaited `Map` lookup (the floor: what any async cache
 * costs), each library's token URL pointed at a token server on 127.0.0.1. Interleaved rounds,
 * medians, ns per call. Run under Node 22 by `npm run bench:all` (bench/all.ts), which sets
 * NODE_EXTRA_CA_CERTS for the https side; alone: `node bench/hot-path.ts`.
 */
import { ClientSecretCredential } from "@azure/identity";
import { UserRefreshClient } from "google-auth-library";
import { createTokenSource, oauth2ClientCredentials } from "../src/index.ts";
import { calibrate, timeLoop } from "./support/loop.ts";
import { interleaved } from "./support/rounds.ts";
import { startTrustedTokenServer } from "./support/token-server.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

export interface HotPathResult {
  edgetokenNs: number;
  googleNs: number;
  azureNs: number;
  floorAsyncNs: number;
  tokenCalls: Record<string, number>;
}

export async function hotPath(server: { http: string; https: string }): Promise<HotPathResult> {
  const source = createTokenSource(
    oauth2ClientCredentials({
      tokenUrl: `${server.http}/edgetoken/token`,
      clientId: "bench",
      clientSecret: "bench-secret",
      scope: "payments",
    }),
  );
  const google = new UserRefreshClient({
    clientId: "bench",
    clientSecret: "bench-secret",
    refreshToken: "bench-refresh",
    endpoints: { oauth2TokenUrl: `${server.http}/google/token` },
  });
  const azure = new ClientSecretCredential("bench-tenant", "bench", "bench-secret", {
    authorityHost: server.https,
    disableInstanceDiscovery: true,
  });
  const scope = "api://bench/.default";
  const map = new Map([["bench:payments", { value: "v" }]]);

  const calls = {
    edgetoken: () => source.get(),
    google: () => google.getAccessToken(),
    azure: () => azure.getToken(scope),
    floor: async () => map.get("bench:payments"),
  };
  // Each obtains its token once; every call after is the cached path.
  for (const call of Object.values(calls)) await call();
  const counts = {
    edgetoken: await calibrate(calls.edgetoken),
    google: await calibrate(calls.google),
    azure: await calibrate(calls.azure),
    floor: await calibrate(calls.floor),
  };
  const { medians } = await interleaved(ROUNDS, {
    edgetoken: () => timeLoop(calls.edgetoken, counts.edgetoken),
    google: () => timeLoop(calls.google, counts.google),
    azure: () => timeLoop(calls.azure, counts.azure),
    floor: () => timeLoop(calls.floor, counts.floor),
  });
  return {
    edgetokenNs: medians.edgetoken,
    googleNs: medians.google,
    azureNs: medians.azure,
    floorAsyncNs: medians.floor,
    tokenCalls: {},
  };
}

if (import.meta.main) {
  const server = await startTrustedTokenServer();
  try {
    const result = await hotPath(server);
    result.tokenCalls = Object.fromEntries(server.calls);
    console.log(JSON.stringify(result));
  } finally {
    await server.close();
  }
}
