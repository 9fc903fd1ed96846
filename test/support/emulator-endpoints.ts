/**
 * Every emulator endpoint with a valid request ready, its prerequisites (tokens, a refresh
 * token) obtained first: what the fault and bookkeeping tests run against each endpoint.
 */
import type { Emulator, Fault } from "../../src/emulator/index.ts";
import {
  get,
  ipospaysToken,
  MERCHANT,
  PAPAYA,
  PATHS,
  PG_ACCOUNT,
  PG_KEY_B64,
  papayaToken,
  paymentsgatePair,
  post,
  postJson,
  setup,
} from "./emulator-wire.ts";

export type EndpointName = keyof typeof PATHS;
export type Prepared = {
  name: EndpointName;
  provider: Fault["provider"];
  endpoint: Fault["endpoint"];
  request: () => Request;
};

/** For each endpoint, a valid request, with whatever it needs obtained before any fault is added. */
export async function prepareAll(emulator: Emulator): Promise<Prepared[]> {
  const ipos = await ipospaysToken(emulator);
  const pair = await paymentsgatePair(emulator);
  const papaya = await papayaToken(emulator);
  return [
    {
      name: "ipospaysToken",
      provider: "ipospays",
      endpoint: "token",
      request: () => post(PATHS.ipospaysToken, { ...MERCHANT, scope: "PaymentTokenization" }),
    },
    {
      name: "ipospaysRefresh",
      provider: "ipospays",
      endpoint: "refresh",
      request: () => post(PATHS.ipospaysRefresh, { refreshToken: "true", token: ipos }),
    },
    {
      name: "ipospaysApi",
      provider: "ipospays",
      endpoint: "api",
      request: () => post(PATHS.ipospaysApi, { token: ipos }),
    },
    {
      name: "paymentsgateToken",
      provider: "paymentsgate",
      endpoint: "token",
      request: () =>
        postJson(PATHS.paymentsgateToken, { account_id: PG_ACCOUNT, public_key: PG_KEY_B64 }),
    },
    {
      name: "paymentsgateRefresh",
      provider: "paymentsgate",
      endpoint: "refresh",
      request: () =>
        postJson(
          PATHS.paymentsgateRefresh,
          { refresh_token: pair.refresh_token },
          { authorization: `Bearer ${pair.access_token}` },
        ),
    },
    {
      name: "paymentsgateApi",
      provider: "paymentsgate",
      endpoint: "api",
      request: () =>
        postJson(PATHS.paymentsgateApi, {}, { authorization: `Bearer ${pair.access_token}` }),
    },
    {
      name: "papayaToken",
      provider: "papaya",
      endpoint: "token",
      request: () => postJson(PATHS.papayaToken, PAPAYA),
    },
    {
      name: "papayaApi",
      provider: "papaya",
      endpoint: "api",
      request: () => get(PATHS.papayaApi, { authorization: `Bearer ${papaya}` }),
    },
  ];
}

export const ENDPOINT_NAMES = Object.keys(PATHS) as EndpointName[];

/** A fresh emulator and a valid request for one endpoint, its prerequisites already obtained. */
export async function prepared(name: EndpointName) {
  const { emulator, clock } = setup();
  const entry = (await prepareAll(emulator)).find((candidate) => candidate.name === name);
  if (entry === undefined) throw new Error(`no endpoint ${name}`);
  return { emulator, clock, ...entry };
}
