/**
 * The stampede: 1,000 concurrent calls for a token, for edgetoken, google-auth-library and
 * @azure/identity, each against the token server on 127.0.0.1 (bench/support/token-server.ts),
 * in three states — cold (no token yet), expired (the token held is past its expiry), and inside
 * the refresh window (the token held is still valid, but due for a refresh). Counted: the token
 * calls each library made for the 1,000, and in the refresh window how many callers waited for
 * the refresh (the token server holds that answer 500 ms; a caller waited when its call took
 * 400 ms or more). Run by `npm run bench:all`; alone: `node bench/stampede.ts`.
 *
 * How each library is brought into each state, each with a client of its own per state:
 * - edgetoken: its runtime clock is moved (an hour's token: 3,601 s on for expired, 3,000 s on
 *   — 17 % of its life left, inside `refreshAhead` 0.25 — for the window).
 * - google-auth-library (`UserRefreshClient`): expired with a 1 s token and 1.2 s of waiting;
 *   the window with `eagerRefreshThresholdMillis` just over the token's hour (due at once).
 * - @azure/identity (`ClientSecretCredential`, MSAL): expired with a 1 s token and 1.2 s of
 *   waiting; the window with a 304 s token and 6 s of waiting (MSAL renews a token within
 *   300 s of its expiry, counted in whole seconds).
 */
import { ClientSecretCredential } from "@azure/identity";
import { UserRefreshClient } from "google-auth-library";
import { createTokenSource, oauth2ClientCredentials } from "../src/index.ts";
import { startTrustedTokenServer, type TokenServer } from "./support/token-server.ts";

const CALLERS = 1_000;
const REFRESH_DELAY_MS = 500;
const HOUR = 3600;

type State = "cold" | "expired" | "window";
type Library = "edgetoken" | "google" | "azure";

export interface StampedeCount {
  /** Token calls the 1,000 concurrent callers caused. */
  calls: number;
  /** Callers that took 80 % of the refresh's 500 ms or more (meaningful in the window). */
  waiters: number;
}

export interface StampedeResult {
  /** Token calls for 1,000 concurrent callers: cold / expired / in the refresh window. */
  edgetoken: [number, number, number];
  google: [number, number, number];
  azure: [number, number, number];
  /** edgetoken's callers that waited for the refresh in the window (of 1,000). */
  refreshWindowWaiters: number;
  /** The same, for each library. */
  waiters: Record<Library, number>;
  detail: Record<Library, Record<State, StampedeCount>>;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** What a client needs for the stampede: one call, and a way into the state. */
interface Client {
  call(): Promise<unknown>;
}

/** 1,000 calls at once; the token calls they caused, and who waited. */
async function stampede(server: TokenServer, path: string, client: Client) {
  const before = server.calls.get(path) ?? 0;
  server.answer.delayMs = REFRESH_DELAY_MS;
  server.answer.expiresIn = HOUR;
  const durations = await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      const start = performance.now();
      await client.call();
      return performance.now() - start;
    }),
  );
  // A refresh in the background finishes before it is counted.
  await sleep(REFRESH_DELAY_MS * 2);
  server.answer.delayMs = 0;
  return {
    calls: (server.calls.get(path) ?? 0) - before,
    waiters: durations.filter((ms) => ms >= REFRESH_DELAY_MS * 0.8).length,
  };
}

async function edgetoken(server: TokenServer, state: State): Promise<StampedeCount> {
  const path = `/edgetoken-${state}/token`;
  let offset = 0;
  const source = createTokenSource(
    oauth2ClientCredentials({
      tokenUrl: `${server.http}${path}`,
      clientId: "bench",
      clientSecret: "bench-secret",
      scope: "payments",
    }),
    { runtime: { now: () => Date.now() + offset, random: () => 0 } },
  );
  if (state !== "cold") {
    await source.get();
    offset = (state === "expired" ? HOUR + 1 : 3000) * 1000;
  }
  return stampede(server, path, { call: () => source.get() });
}

async function google(server: TokenServer, state: State): Promise<StampedeCount> {
  const path = `/google-${state}/token`;
  const client = new UserRefreshClient({
    clientId: "bench",
    clientSecret: "bench-secret",
    refreshToken: "bench-refresh",
    endpoints: { oauth2TokenUrl: `${server.http}${path}` },
  });
  // Its constructor does not take this from the options object: set on the client.
  if (state === "window") client.eagerRefreshThresholdMillis = (HOUR + 10) * 1000;
  if (state === "expired") {
    server.answer.expiresIn = 1;
    await client.getAccessToken();
    await sleep(1_200);
  } else if (state === "window") {
    await client.getAccessToken();
  }
  return stampede(server, path, { call: () => client.getAccessToken() });
}

async function azure(server: TokenServer, state: State): Promise<StampedeCount> {
  const tenant = `azure-${state}`;
  const path = `/${tenant}/oauth2/v2.0/token`;
  const credential = new ClientSecretCredential(tenant, "bench", "bench-secret", {
    authorityHost: server.https,
    disableInstanceDiscovery: true,
  });
  const scope = "api://bench/.default";
  if (state !== "cold") {
    server.answer.expiresIn = state === "expired" ? 1 : 304;
    await credential.getToken(scope);
    await sleep(state === "expired" ? 1_200 : 6_000);
  }
  return stampede(server, path, { call: () => credential.getToken(scope) });
}

export async function stampedeBench(server: TokenServer): Promise<StampedeResult> {
  const states: State[] = ["cold", "expired", "window"];
  const libraries = { edgetoken, google, azure };
  const detail = {} as Record<Library, Record<State, StampedeCount>>;
  for (const [name, run] of Object.entries(libraries) as Array<[Library, typeof edgetoken]>) {
    detail[name] = {} as Record<State, StampedeCount>;
    for (const state of states) detail[name][state] = await run(server, state);
  }
  const calls = (name: Library) =>
    states.map((state) => detail[name][state].calls) as [number, number, number];
  return {
    edgetoken: calls("edgetoken"),
    google: calls("google"),
    azure: calls("azure"),
    refreshWindowWaiters: detail.edgetoken.window.waiters,
    waiters: {
      edgetoken: detail.edgetoken.window.waiters,
      google: detail.google.window.waiters,
      azure: detail.azure.window.waiters,
    },
    detail,
  };
}

if (import.meta.main) {
  const server = await startTrustedTokenServer();
  try {
    console.log(JSON.stringify(await stampedeBench(server)));
  } finally {
    await server.close();
  }
}
