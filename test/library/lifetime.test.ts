import { describe, expect, it } from "vitest";
import { clockSkew, jwtExpiry, tokenExpiry } from "../../src/index.ts";
import { unsignedJwt } from "../support/jwt.ts";

const T0 = Date.parse("2026-11-23T12:00:00Z");
const minutes = (n: number): number => n * 60_000;

describe("tokenExpiry", () => {
  it("counts expires_in from the moment the request was sent, not received", () => {
    expect(tokenExpiry({ sentAt: T0, receivedAt: T0 + 4_000, expiresIn: 3600 })).toBe(
      T0 + minutes(60),
    );
  });

  it("uses the requested lifetime when it is the only signal", () => {
    expect(tokenExpiry({ sentAt: T0, requestedLifetime: 1800 })).toBe(T0 + minutes(30));
  });

  it("reads the JWT exp claim", () => {
    const jwt = unsignedJwt({ exp: (T0 + minutes(20)) / 1000 });
    expect(jwtExpiry(jwt)).toBe(T0 + minutes(20));
    expect(tokenExpiry({ sentAt: T0, jwt })).toBe(T0 + minutes(20));
  });

  it("ignores values that are not JWTs or have no numeric exp", () => {
    expect(jwtExpiry("opaque-token")).toBeUndefined();
    expect(jwtExpiry("a.b.c")).toBeUndefined();
    expect(jwtExpiry(unsignedJwt({ exp: "soon" }))).toBeUndefined();
    expect(tokenExpiry({ sentAt: T0, jwt: "opaque-token" })).toBeUndefined();
  });

  it("takes the earliest of every signal", () => {
    const jwt = unsignedJwt({ exp: (T0 + minutes(50)) / 1000 });
    const base = { sentAt: T0, receivedAt: T0 };
    expect(
      tokenExpiry({
        ...base,
        expiresIn: 3600,
        requestedLifetime: 2700,
        jwt,
        validUntil: T0 + minutes(55),
      }),
    ).toBe(T0 + minutes(45));
    expect(tokenExpiry({ ...base, expiresIn: 600, jwt })).toBe(T0 + minutes(10));
    expect(tokenExpiry({ ...base, expiresIn: 3600, jwt })).toBe(T0 + minutes(50));
    expect(tokenExpiry({ ...base, expiresIn: 3600, validUntil: T0 + minutes(40), jwt })).toBe(
      T0 + minutes(40),
    );
  });

  it("corrects absolute times by a Date header five minutes ahead", () => {
    const dateHeader = new Date(T0 + minutes(5)).toUTCString();
    // The provider's clock says 12:05 when ours says 12:00: its 13:05 is our 13:00.
    const validUntil = T0 + minutes(65);
    expect(clockSkew(dateHeader, T0)).toBe(minutes(5));
    expect(tokenExpiry({ sentAt: T0, receivedAt: T0, dateHeader, validUntil })).toBe(
      T0 + minutes(60),
    );
    const jwt = unsignedJwt({ exp: validUntil / 1000 });
    expect(tokenExpiry({ sentAt: T0, receivedAt: T0, dateHeader, jwt })).toBe(T0 + minutes(60));
  });

  it("corrects absolute times by a Date header five minutes behind", () => {
    const dateHeader = new Date(T0 - minutes(5)).toUTCString();
    const jwt = unsignedJwt({ exp: (T0 + minutes(55)) / 1000 });
    expect(tokenExpiry({ sentAt: T0, receivedAt: T0, dateHeader, jwt })).toBe(T0 + minutes(60));
    // A relative signal is not moved by the skew, and still wins when it is earlier.
    expect(tokenExpiry({ sentAt: T0, receivedAt: T0, dateHeader, jwt, expiresIn: 1800 })).toBe(
      T0 + minutes(30),
    );
  });

  it("ignores a missing, unparseable or sub-second Date header", () => {
    const validUntil = T0 + minutes(30);
    for (const dateHeader of [undefined, null, "", "not a date"]) {
      expect(tokenExpiry({ sentAt: T0, receivedAt: T0, dateHeader, validUntil })).toBe(validUntil);
    }
    expect(clockSkew(new Date(T0 + 400).toUTCString(), T0 + 400)).toBe(0);
  });

  it("returns undefined when there is no signal at all", () => {
    expect(tokenExpiry({ sentAt: T0 })).toBeUndefined();
  });
});
