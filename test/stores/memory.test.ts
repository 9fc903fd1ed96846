/** createMemoryStore: the in-memory store. */
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../src/index.ts";
import { clock, expectSameToken, makeToken, seconds } from "../support/stored-tokens.ts";

describe("createMemoryStore", () => {
  it("returns the token it stored", async () => {
    const time = clock();
    const store = createMemoryStore({ now: time.now });
    const token = makeToken(time.at);
    await store.set("mem:round-trip", token);

    expectSameToken(await store.get("mem:round-trip"), token);
    expect(await store.get("mem:other")).toBeUndefined();
  });

  it("deletes a token", async () => {
    const time = clock();
    const store = createMemoryStore({ now: time.now });
    await store.set("mem:delete", makeToken(time.at));
    await store.delete("mem:delete");
    expect(await store.get("mem:delete")).toBeUndefined();
  });

  it("drops the least recently set entry past maxEntries", async () => {
    const time = clock();
    const store = createMemoryStore({ maxEntries: 2, now: time.now });
    await store.set("a", makeToken(time.at, { value: "a" }));
    await store.set("b", makeToken(time.at, { value: "b" }));
    await store.set("c", makeToken(time.at, { value: "c" }));

    expect(JSON.parse(JSON.stringify(store))).toEqual({ kind: "memory", entries: 2 });
    expect(await store.get("a")).toBeUndefined();
    expect((await store.get("b"))?.value).toBe("b");
    expect((await store.get("c"))?.value).toBe("c");
  });

  it("counts a get as a use", async () => {
    const time = clock();
    const store = createMemoryStore({ maxEntries: 2, now: time.now });
    await store.set("a", makeToken(time.at, { value: "a" }));
    await store.set("b", makeToken(time.at, { value: "b" }));
    await store.get("a");
    await store.set("c", makeToken(time.at, { value: "c" }));

    expect(await store.get("b")).toBeUndefined();
    expect((await store.get("a"))?.value).toBe("a");
    expect((await store.get("c"))?.value).toBe("c");
  });

  it("does not grow when a key is set again", async () => {
    const time = clock();
    const store = createMemoryStore({ maxEntries: 2, now: time.now });
    await store.set("a", makeToken(time.at, { value: "a1" }));
    await store.set("b", makeToken(time.at, { value: "b" }));
    await store.set("a", makeToken(time.at, { value: "a2" }));

    expect((await store.get("a"))?.value).toBe("a2");
    expect((await store.get("b"))?.value).toBe("b");
  });

  it("misses and drops a token once it has expired", async () => {
    const time = clock();
    const store = createMemoryStore({ now: time.now });
    await store.set("mem:expires", makeToken(time.at, { expiresAt: time.at + seconds(10) }));

    time.advance(seconds(10) - 1);
    expect(await store.get("mem:expires")).toBeDefined();
    time.advance(1);
    expect(await store.get("mem:expires")).toBeUndefined();
    expect(JSON.parse(JSON.stringify(store))).toEqual({ kind: "memory", entries: 0 });
  });

  it("keeps token values out of JSON.stringify", async () => {
    const time = clock();
    const store = createMemoryStore({ now: time.now });
    await store.set("mem:json", makeToken(time.at));

    const json = JSON.stringify(store);
    expect(json).not.toContain("access-VALUE-7f3a9c");
    expect(json).not.toContain("refresh-VALUE-b41d02");
    expect(json).not.toContain("mem:json");
  });
});
