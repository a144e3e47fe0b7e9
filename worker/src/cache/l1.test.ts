import { describe, expect, it } from "vitest";
import { createL1, entryBytes, type L1Options } from "./l1.js";
import { fakeClock, testMetrics } from "./test-fixtures.js";

function l1(overrides: Partial<L1Options> = {}) {
  const clock = fakeClock();
  const metrics = testMetrics();
  const cache = createL1({
    maxBytes: 1_000,
    maxEntryBytes: 1_000,
    maxTtlMs: undefined,
    now: clock.now,
    metrics: metrics.metrics,
    ...overrides,
  });
  return { cache, clock, metrics };
}

/** A value that, with a one-character key, holds exactly `bytes` bytes. */
const sized = (bytes: number): string => "x".repeat(bytes - 1);

describe("L1 size", () => {
  it("counts an entry as its value's and key's UTF-8 bytes", () => {
    expect(entryBytes("k", "abc")).toBe(4);
    expect(entryBytes("ключ", "é")).toBe(8 + 2);
    expect(entryBytes("k", Buffer.alloc(10))).toBe(11);
  });

  it("holds at most maxBytes, sending the least recently used entries out first", () => {
    const { cache, metrics } = l1();
    cache.set("a", sized(400), 60_000, []);
    cache.set("b", sized(400), 60_000, []);
    expect(cache.get("a")).toBeDefined(); // a is now more recent than b
    cache.set("c", sized(400), 60_000, []);
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")).toBeDefined();
    expect(cache.get("c")).toBeDefined();
    expect(cache.stats()).toEqual({ entries: 2, bytes: 800 });
    return expect(metrics.value("hugr_cache_l1_evictions_total", { reason: "size" })).resolves.toBe(1);
  });

  it("does not hold an entry larger than maxEntryBytes, and drops the older value of its key", () => {
    const { cache } = l1({ maxEntryBytes: 100 });
    cache.set("a", sized(50), 60_000, ["t"]);
    expect(cache.set("a", sized(101), 60_000, ["t"])).toBe(false);
    expect(cache.get("a")).toBeUndefined();
    expect(cache.stats()).toEqual({ entries: 0, bytes: 0 });
  });

  it("reports entries and bytes through the metrics registry", async () => {
    const { cache, metrics } = l1();
    const untrack = metrics.metrics.trackL1(() => cache.stats());
    cache.set("a", sized(300), 60_000, []);
    cache.set("b", sized(200), 60_000, []);
    expect(await metrics.value("hugr_cache_l1_entries")).toBe(2);
    expect(await metrics.value("hugr_cache_l1_bytes")).toBe(500);
    untrack();
    expect(await metrics.value("hugr_cache_l1_entries")).toBe(0);
  });
});

describe("L1 TTL (injected clock)", () => {
  it("keeps an entry for its TTL and reports the time it has left", () => {
    const { cache, clock } = l1();
    cache.set("a", "1", 10_000, []);
    clock.advance(4_000);
    expect(cache.remainingTtlMs("a")).toBe(6_000);
    clock.advance(6_000);
    expect(cache.get("a")?.value).toBe("1"); // lru-cache: expired once the TTL is exceeded
    clock.advance(1);
    expect(cache.get("a")).toBeUndefined();
    expect(cache.remainingTtlMs("a")).toBeUndefined();
  });

  it("caps an entry's time by CACHE_L1_EVICTION_TIME", () => {
    const { cache } = l1({ maxTtlMs: 2_000 });
    cache.set("a", "1", 10_000, []);
    cache.set("b", "1", 1_000, []);
    expect(cache.remainingTtlMs("a")).toBe(2_000);
    expect(cache.remainingTtlMs("b")).toBe(1_000);
  });

  it("purges expired entries on purge() (CACHE_L1_CLEAN_TIME) and counts them", async () => {
    const { cache, clock, metrics } = l1();
    cache.set("a", "1", 1_000, []);
    cache.set("b", "1", 5_000, []);
    clock.advance(2_000);
    expect(cache.stats().entries).toBe(2); // expired, but not yet looked at
    cache.purge();
    expect(cache.stats().entries).toBe(1);
    expect(await metrics.value("hugr_cache_l1_evictions_total", { reason: "expired" })).toBe(1);
  });
});

describe("L1 tags", () => {
  it("drops the entries carrying any of the tags", () => {
    const { cache } = l1();
    cache.set("a", "1", 60_000, ["orders"]);
    cache.set("b", "1", 60_000, ["orders", "customers"]);
    cache.set("c", "1", 60_000, ["customers"]);
    cache.set("d", "1", 60_000, []);
    cache.deleteTags(["orders", "unknown"]);
    expect(["a", "b", "c", "d"].filter((key) => cache.get(key))).toEqual(["c", "d"]);
    cache.deleteTags(["customers"]);
    expect(cache.get("c")).toBeUndefined();
  });

  it("forgets the old tags of a replaced entry", () => {
    const { cache } = l1();
    cache.set("a", "1", 60_000, ["old", "kept"]);
    cache.set("a", "2", 60_000, ["kept", "new"]);
    cache.deleteTags(["old"]);
    expect(cache.get("a")?.value).toBe("2");
    cache.deleteTags(["kept"]);
    expect(cache.get("a")).toBeUndefined();
  });

  it("forgets the tags of an evicted entry, so a later entry of that key is not dropped by them", () => {
    const { cache } = l1();
    cache.set("a", sized(600), 60_000, ["t"]);
    cache.set("b", sized(600), 60_000, []); // evicts a
    cache.set("a", "new", 60_000, []);
    cache.deleteTags(["t"]);
    expect(cache.get("a")?.value).toBe("new");
  });
});
