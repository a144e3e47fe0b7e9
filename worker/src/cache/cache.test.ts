import { afterEach, describe, expect, it } from "vitest";
import { createCache } from "./cache.js";
import { captureLogs, cacheConfig, fakeClock, testMetrics } from "./test-fixtures.js";
import type { Cache, CacheInvalidation, CacheValue } from "./types.js";

const opened: Cache[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((cache) => cache.close()));
});

/** An L1-only cache (L2 is covered by the integration tests on real servers). */
function l1Cache(options: { broadcast?: (message: CacheInvalidation) => void } = {}) {
  const clock = fakeClock();
  const metrics = testMetrics();
  const cache = createCache(cacheConfig({}), {
    logger: captureLogs().logger,
    clusterPrefix: "test",
    metrics: metrics.metrics,
    now: clock.now,
    ...options,
  });
  opened.push(cache);
  return { cache, clock, metrics };
}

/** A promise and its resolver, to hold a loader until the test lets it finish. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("createCache (L1)", () => {
  it("stores and answers, per key, with the default TTL or the entry's", async () => {
    const { cache, clock } = l1Cache();
    await cache.set("a", "1");
    await cache.set("b", Buffer.from("2"), { ttlMs: 5_000 });
    expect(await cache.get("a")).toBe("1");
    expect(await cache.get("b")).toEqual(Buffer.from("2"));
    expect(await cache.remainingTtlMs("a")).toBe(60_000);
    clock.advance(5_001);
    expect(await cache.get("b")).toBeUndefined();
    expect(await cache.remainingTtlMs("a")).toBe(54_999);
    expect(await cache.remainingTtlMs("missing")).toBeUndefined();
  });

  it("takes the default TTL for a TTL that is not a positive finite number", async () => {
    const { cache } = l1Cache();
    for (const ttlMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await cache.set("a", "1", { ttlMs });
      expect(await cache.remainingTtlMs("a")).toBe(60_000);
    }
  });

  it("counts L1 hits and misses", async () => {
    const { cache, metrics } = l1Cache();
    await cache.set("a", "1");
    await cache.get("a");
    await cache.get("a");
    await cache.get("b");
    expect(await metrics.value("hugr_cache_hits_total", { level: "l1" })).toBe(2);
    expect(await metrics.value("hugr_cache_misses_total", { level: "l1" })).toBe(1);
  });

  it("is not enabled with both levels off, and then only loads", async () => {
    const cache = createCache(cacheConfig({ l1: { enabled: false } }), {
      logger: captureLogs().logger,
      clusterPrefix: "test",
    });
    opened.push(cache);
    expect(cache.enabled).toBe(false);
    await cache.set("a", "1");
    expect(await cache.get("a")).toBeUndefined();
    expect(await cache.getOrLoad("a", async () => "loaded")).toBe("loaded");
  });
});

describe("getOrLoad", () => {
  it("runs one load for concurrent misses of one key, and stores its value", async () => {
    const { cache } = l1Cache();
    const gate = deferred<CacheValue>();
    let loads = 0;
    const load = () => {
      loads++;
      return gate.promise;
    };
    const callers = Array.from({ length: 20 }, () => cache.getOrLoad("k", load, { tags: ["t"] }));
    gate.resolve("value");
    expect(await Promise.all(callers)).toEqual(Array(20).fill("value"));
    expect(loads).toBe(1);
    expect(await cache.getOrLoad("k", load)).toBe("value");
    expect(loads).toBe(1);
  });

  it("gives a failed load's error to every waiting caller and caches nothing", async () => {
    const { cache } = l1Cache();
    const gate = deferred<CacheValue>();
    let loads = 0;
    const load = () => {
      loads++;
      return gate.promise;
    };
    const callers = Array.from({ length: 5 }, () => cache.getOrLoad("k", load));
    gate.reject(new Error("database down"));
    const outcomes = await Promise.allSettled(callers);
    expect(outcomes.every((outcome) => outcome.status === "rejected")).toBe(true);
    expect(loads).toBe(1);
    expect(await cache.getOrLoad("k", async () => "later")).toBe("later");
  });

  it("does not store a value its cacheable option refuses", async () => {
    const { cache } = l1Cache();
    const cacheable = (value: CacheValue) => !String(value).includes('"errors"');
    await cache.getOrLoad("k", async () => '{"errors":[]}', { cacheable });
    expect(await cache.get("k")).toBeUndefined();
  });

  it("returns but does not store a load that an invalidation overtook", async () => {
    const { cache } = l1Cache();
    const gate = deferred<CacheValue>();
    const loading = cache.getOrLoad("k", () => gate.promise, { tags: ["orders"] });
    await cache.invalidateTags(["orders"]);
    gate.resolve("read before the write");
    expect(await loading).toBe("read before the write");
    expect(await cache.get("k")).toBeUndefined();
  });

  it("runs separate loads for separate keys", async () => {
    const { cache } = l1Cache();
    const values = await Promise.all(["a", "b", "c"].map((key) => cache.getOrLoad(key, async () => key)));
    expect(values).toEqual(["a", "b", "c"]);
  });
});

describe("local (L1-only entries a node derives)", () => {
  it("answers with the time left, counts as level local, and is dropped by tags from here or another node", async () => {
    const { cache, clock, metrics } = l1Cache();
    const local = cache.local!;
    local.set("r", "whole", local.version(), { ttlMs: 10_000, tags: ["orders"] });
    local.set("s", "other", local.version(), { ttlMs: 10_000, tags: ["customers"] });
    clock.advance(4_000);
    expect(local.get("r")).toEqual({ value: "whole", remainingTtlMs: 6_000 });
    expect(local.get("missing")).toBeUndefined();
    expect(await metrics.value("hugr_cache_hits_total", { level: "local" })).toBe(1);
    expect(await metrics.value("hugr_cache_misses_total", { level: "local" })).toBe(1);
    await cache.invalidateTags(["orders"]);
    expect(local.get("r")).toBeUndefined();
    cache.onRemoteInvalidation({ origin: "another node", scope: "tags", tags: ["customers"] });
    expect(local.get("s")).toBeUndefined();
  });

  it("does not store what was derived before an invalidation", async () => {
    const { cache } = l1Cache();
    const local = cache.local!;
    const since = local.version();
    await cache.invalidateTags(["anything"]);
    local.set("r", "derived from what may be stale", since, {});
    expect(local.get("r")).toBeUndefined();
    local.set("r", "derived after", local.version(), {});
    expect(local.get("r")?.value).toBe("derived after");
  });

  it("is absent without L1", () => {
    const cache = createCache(cacheConfig({ l1: { enabled: false } }), {
      logger: captureLogs().logger,
      clusterPrefix: "test",
    });
    opened.push(cache);
    expect(cache.local).toBeUndefined();
  });
});

describe("invalidation (L1 and the broadcast hook)", () => {
  it("drops entries by tag and everything on invalidateAll", async () => {
    const { cache } = l1Cache();
    await cache.set("a", "1", { tags: ["orders"] });
    await cache.set("b", "1", { tags: ["customers"] });
    await cache.invalidateTags(["orders"]);
    expect(await cache.get("a")).toBeUndefined();
    expect(await cache.get("b")).toBe("1");
    await cache.invalidateAll();
    expect(await cache.get("b")).toBeUndefined();
  });

  it("carries invalidations to another node through broadcast and onRemoteInvalidation", async () => {
    // Two nodes joined by a test bus, as the management node will join them when L2 is not Redis.
    const nodes: Cache[] = [];
    const bus = (message: CacheInvalidation) => {
      for (const node of nodes) node.onRemoteInvalidation(message);
    };
    const first = l1Cache({ broadcast: bus }).cache;
    const second = l1Cache({ broadcast: bus }).cache;
    nodes.push(first, second);
    for (const node of nodes) {
      await node.set("orders", "1", { tags: ["orders"] });
      await node.set("customers", "1", { tags: ["customers"] });
    }
    await first.invalidateTags(["orders"]);
    expect(await second.get("orders")).toBeUndefined();
    expect(await second.get("customers")).toBe("1");
    await second.invalidateAll();
    expect(await first.get("customers")).toBeUndefined();
  });

  it("ignores its own messages and logs a failing broadcast without throwing", async () => {
    const logs = captureLogs();
    const cache = createCache(cacheConfig({}), {
      logger: logs.logger,
      clusterPrefix: "test",
      broadcast: () => Promise.reject(new Error("management node unreachable")),
    });
    opened.push(cache);
    await cache.set("a", "1", { tags: ["t"] });
    cache.onRemoteInvalidation({ origin: cache.id, scope: "all" });
    expect(await cache.get("a")).toBe("1");
    await expect(cache.invalidateTags(["t"])).resolves.toBeUndefined();
    expect(logs.records().some((record) => record.level === "warn")).toBe(true);
  });
});
