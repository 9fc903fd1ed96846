/**
 * The leak guard (test/support/no-leaks.ts) cannot pass trivially: each way out it watches is
 * shown a planted leak here, and each plant is a hit. The hits are taken out of the record
 * (`takeHits`) before the test ends, or the guard would fail this file — as it fails any other.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import { EMBEDDED_DEFAULT_SECRETS } from "../scripts/embedded-default.ts";
import { brokerWorld, quietLogs, SHOP } from "./support/broker.ts";
import { paymentsgatePair, setup } from "./support/emulator-wire.ts";
import { unsignedJwt } from "./support/jwt.ts";
import {
  CONFIGURED_SECRETS,
  findLeaks,
  leakError,
  learnIssued,
  recordError,
  takeHits,
} from "./support/leaks.ts";

const PLANTED_JWT = unsignedJwt({ sub: "planted", exp: 1 });

/** The part of Node's `process` (nodejs_compat) that vitest listens on. */
interface Listeners {
  listeners(event: "unhandledRejection"): Array<(reason: unknown) => void>;
  removeAllListeners(event: "unhandledRejection"): void;
  on(event: "unhandledRejection", listener: (reason: unknown) => void): void;
}
const process = (globalThis as unknown as { process: Listeners }).process;

/** Lets workerd dispatch events queued by the last step (an unhandled rejection). */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 10));
}

describe("the scanner", () => {
  it.each(Object.entries(CONFIGURED_SECRETS))("finds the configured secret %s", (name, value) => {
    expect(findLeaks(`prefix ${value} suffix`)).toContain(`the configured secret "${name}"`);
  });

  it("holds the embedded default's secrets, and never prints a value in what it reports", () => {
    for (const name of [
      "TOKEN_ENCRYPTION_KEY",
      "IPOSPAYS_SECRET_KEY",
      "PAPAYA_CLIENT_SECRET",
      "IPOSPAYS_API_KEY",
      "PAPAYA_API_KEY",
    ]) {
      expect(CONFIGURED_SECRETS[name]).toBe(EMBEDDED_DEFAULT_SECRETS[name]);
    }
    const report = findLeaks(`${SHOP.secret} ${PLANTED_JWT}`).join(" ");
    expect(report).not.toContain(SHOP.secret);
    expect(report).not.toContain(PLANTED_JWT);
  });

  it("finds a JWT, alg none (no signature) included, and a learnt token that is not a JWT", () => {
    expect(findLeaks(`Bearer ${PLANTED_JWT}`)).toEqual([expect.stringMatching(/^a JWT/)]);
    const [header, payload] = PLANTED_JWT.split(".");
    expect(findLeaks(`token ${header}.${payload}. refused`)).toHaveLength(1);
    const refresh = "Qm9ndXNSZWZyZXNoVG9rZW5Gb3JUaGVMZWFrR3VhcmQ";
    expect(findLeaks(`refresh ${refresh}`, [])).toEqual([]);
    expect(findLeaks(`refresh ${refresh}`, [refresh])).toEqual(["an issued token (43 characters)"]);
  });

  it("finds nothing in what the broker is meant to print", () => {
    const audit = JSON.stringify({
      event: "token_issued",
      client_id: "shop",
      scope: "papaya:payments",
      jti: "AbCdEfGhIjKlMnOpQrStUv",
      exp: 1_800_000_000,
    });
    expect(findLeaks(audit)).toEqual([]);
    expect(takeHits()).toEqual([]);
  });
});

describe("the guard, as installed", () => {
  // The plants stay out of the run's output: a silenced console is still watched.
  beforeEach(() => {
    quietLogs();
  });

  it("records console output, also from a console a test silenced with vi.spyOn", () => {
    const { warn } = quietLogs(); // again, for its spy
    console.warn(`the secret is ${SHOP.secret}`);
    console.error("no leak here");
    console.log({ nested: { token: PLANTED_JWT } });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(takeHits()).toEqual([
      { where: "console.warn", what: 'the configured secret "client shop"' },
      { where: "console.log", what: expect.stringMatching(/^a JWT/) },
    ]);
  });

  it("records an unhandled rejection", async () => {
    // vitest counts an unhandled rejection as an error of the run: its own listeners are set
    // aside while this one, which is expected, is dispatched.
    const vitestListeners = process.listeners("unhandledRejection");
    process.removeAllListeners("unhandledRejection");
    try {
      void Promise.reject(new Error(`planted: ${EMBEDDED_DEFAULT_SECRETS.PAPAYA_CLIENT_SECRET}`));
      await settle();
    } finally {
      for (const listener of vitestListeners) process.on("unhandledRejection", listener);
    }
    expect(takeHits()).toEqual([
      { where: "an unhandled rejection", what: 'the configured secret "PAPAYA_CLIENT_SECRET"' },
    ]);
  });

  it("records an error under assertion, rejects included, and one handed to recordError", async () => {
    const failing = Promise.reject(new TypeError(`bad token ${PLANTED_JWT}`));
    await expect(failing).rejects.toThrow(TypeError);
    expect(new Error("x", { cause: { secret: SHOP.secret } })).toBeInstanceOf(Error);
    recordError({ code: "x", detail: EMBEDDED_DEFAULT_SECRETS.TOKEN_ENCRYPTION_KEY });
    expect(() => {
      throw new RangeError(`no ${EMBEDDED_DEFAULT_SECRETS.IPOSPAYS_SECRET_KEY}`);
    }).toThrow(RangeError);
    expect(takeHits().map(({ where, what }) => `${where}: ${what}`)).toEqual([
      expect.stringMatching(/^an error under assertion: a JWT/),
      'an error under assertion: the configured secret "client shop"',
      'a caught error: the configured secret "TOKEN_ENCRYPTION_KEY"',
      'an error under assertion: the configured secret "IPOSPAYS_SECRET_KEY"',
    ]);
  });

  it("learns a refresh token when one goes on the wire, and finds it afterwards", () => {
    const refresh = `planted-refresh-${crypto.randomUUID()}`;
    const wire = JSON.stringify({ access_token: "a", refresh_token: refresh, expires_in: 60 });
    expect(wire).toContain(refresh);
    vi.spyOn(console, "info").mockImplementation(() => {});
    console.info(`refreshing with ${refresh}`);
    expect(takeHits()).toEqual([
      { where: "console.info", what: `an issued token (${refresh.length} characters)` },
    ]);
    learnIssued("rt-1"); // too short to be told from anything else: not learnt
    console.info("rt-1");
    expect(takeHits()).toEqual([]);
  });

  it("learns the emulator's PaymentsGate refresh token (not a JWT) as it is issued", async () => {
    const { emulator } = setup();
    const { access_token, refresh_token } = await paymentsgatePair(emulator);
    expect(findLeaks(refresh_token, [])).toEqual([]);
    console.warn(`rotating ${refresh_token}`);
    console.warn(`calling with ${access_token}`);
    expect(takeHits()).toEqual([
      { where: "console.warn", what: `an issued token (${refresh_token.length} characters)` },
      { where: "console.warn", what: expect.stringMatching(/^a JWT/) },
    ]);
  });

  it("records the broker's error answers", async () => {
    quietLogs();
    const world = await brokerWorld();
    const refused = await world.send("/oauth/token", {
      method: "POST",
      headers: { Authorization: `Bearer ${PLANTED_JWT}` },
    });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    // The real broker echoes nothing: no hit.
    expect(takeHits()).toEqual([]);
    // A broker whose refusal echoed what it was sent.
    const spy = vi
      .spyOn(world.broker, "fetch")
      .mockResolvedValue(
        Response.json({ error: "invalid_client", echoed: PLANTED_JWT }, { status: 401 }),
      );
    try {
      const echoed = await world.send("/oauth/token", { method: "POST" });
      expect(await echoed.json()).toMatchObject({ echoed: PLANTED_JWT });
    } finally {
      spy.mockRestore();
    }
    expect(takeHits()).toEqual([
      { where: "a broker answer 401", what: expect.stringMatching(/^a JWT/) },
    ]);
  });

  it("fails a test with the hits, naming where and what but never the value", () => {
    const error = leakError(
      [{ where: "console.warn", what: 'the configured secret "client shop"' }],
      "in this test",
    );
    expect(error?.message).toBe(
      'leak guard: 1 leak(s) in this test:\n  console.warn: the configured secret "client shop"',
    );
    expect(leakError([], "in this test")).toBeUndefined();
    expect(takeHits()).toEqual([]);
  });
});
