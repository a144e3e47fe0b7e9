/**
 * The cache on real memcached servers: round trips between nodes over two servers, expiry and
 * remaining TTL on an injected clock, tags and invalidateAll by versions, the broadcast hook for L1,
 * and a server going away.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createCache, type Cache, type CacheInvalidation } from "../src/cache/index.js";
import {
  cacheConfig,
  captureLogs,
  eventually,
  fakeClock,
  testMetrics,
  type CapturedLogs,
  type FakeClock,
  type TestMetrics,
} from "../src/cache/test-fixtures.js";
import { startMemcached, type MemcachedServer } from "./harness/memcached.js";

const servers: MemcachedServer[] = [];
const opened: Cache[] = [];
let prefixes = 0;

beforeAll(async () => {
  servers.push(await startMemcached(), await startMemcached());
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((cache) => cache.close()));
});

afterAll(async () => {
  await Promise.all(opened.splice(0).map((cache) => cache.close()));
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

interface Node {
  cache: Cache;
  logs: CapturedLogs;
  metrics: TestMetrics;
}

function node(
  clusterPrefix: string,
  options: { clock?: FakeClock; addresses?: string[]; broadcast?: (message: CacheInvalidation) => void } = {},
): Node {
  const logs = captureLogs();
  const metrics = testMetrics();
  const cache = createCache(
    cacheConfig({
      l2: {
        enabled: true,
        backend: "memcached",
        addresses: options.addresses ?? servers.map((server) => server.address),
      },
    }),
    {
      logger: logs.logger,
      clusterPrefix,
      metrics: metrics.metrics,
      ...(options.clock ? { now: options.clock.now } : {}),
      ...(options.broadcast ? { broadcast: options.broadcast } : {}),
    },
  );
  opened.push(cache);
  return { cache, logs, metrics };
}

const newPrefix = (): string => `mc${++prefixes}`;

describe("L2 on Memcached", () => {
  it("round-trips between nodes over every server, holding L2 hits in L1", async () => {
    const prefix = newPrefix();
    const writer = node(prefix);
    for (let i = 0; i < 40; i++) await writer.cache.set(`k${i}`, `v${i}`, { tags: ["t"] });
    await writer.cache.set("bytes", Buffer.from([9, 8, 7]));
    await writer.cache.set("long key with spaces ".repeat(20), "hashed");

    const reader = node(prefix);
    for (let i = 0; i < 40; i++) expect(await reader.cache.get(`k${i}`)).toBe(`v${i}`);
    expect(await reader.cache.get("bytes")).toEqual(Buffer.from([9, 8, 7]));
    expect(await reader.cache.get("long key with spaces ".repeat(20))).toBe("hashed");
    expect(await reader.metrics.value("hugr_cache_hits_total", { level: "l2" })).toBe(42);
    await reader.cache.get("k0");
    expect(await reader.metrics.value("hugr_cache_hits_total", { level: "l1" })).toBe(1);
    expect(await writer.metrics.value("hugr_cache_l2_errors_total")).toBe(0);
  });

  it("reports the time an entry has left and expires it, on the injected clock", async () => {
    const prefix = newPrefix();
    const clock = fakeClock();
    const writer = node(prefix, { clock });
    await writer.cache.set("k", "v", { ttlMs: 30_000 });
    clock.advance(1_000);
    const reader = node(prefix, { clock });
    expect(await reader.cache.remainingTtlMs("k")).toBe(29_000);
    clock.advance(29_001);
    const late = node(prefix, { clock });
    expect(await late.cache.get("k")).toBeUndefined();
  });

  it("invalidates tags and the whole cluster by versions, leaving other clusters alone", async () => {
    const prefix = newPrefix();
    const { cache } = node(prefix);
    const neighbour = node(`${prefix}-other`);
    await cache.set("orders", "1", { tags: ["orders"] });
    await cache.set("both", "1", { tags: ["orders", "customers"] });
    await cache.set("customers", "1", { tags: ["customers"] });
    await cache.set("untagged", "1");
    await neighbour.cache.set("theirs", "keep", { tags: ["orders"] });

    await cache.invalidateTags(["orders"]);
    const reader = node(prefix);
    expect(await reader.cache.get("orders")).toBeUndefined();
    expect(await reader.cache.get("both")).toBeUndefined();
    expect(await reader.cache.get("customers")).toBe("1");
    expect(await reader.cache.get("untagged")).toBe("1");

    await cache.invalidateAll();
    const after = node(prefix);
    expect(await after.cache.get("customers")).toBeUndefined();
    expect(await after.cache.get("untagged")).toBeUndefined();
    expect(await node(`${prefix}-other`).cache.get("theirs")).toBe("keep");
    // Written after the invalidation: read again.
    await cache.set("new", "1", { tags: ["orders"] });
    expect(await node(prefix).cache.get("new")).toBe("1");
  });

  it("drops another node's L1 entries through the broadcast hook", async () => {
    const prefix = newPrefix();
    const nodes: Cache[] = [];
    const broadcast = (message: CacheInvalidation) =>
      nodes.forEach((other) => other.onRemoteInvalidation(message));
    const first = node(prefix, { broadcast });
    const second = node(prefix, { broadcast });
    nodes.push(first.cache, second.cache);
    await first.cache.set("k", "1", { tags: ["orders"] });
    expect(await second.cache.get("k")).toBe("1");
    await first.cache.invalidateTags(["orders"]);
    expect(await second.cache.get("k")).toBeUndefined();
  });
});

describe("Memcached going away", () => {
  it("keeps answering from L1 and the loader, warns once, counts errors, and works again when back", async () => {
    const own = await startMemcached();
    try {
      const prefix = newPrefix();
      const { cache, logs, metrics } = node(prefix, { addresses: [own.address] });
      await cache.set("held", "1");
      await own.kill();

      for (let i = 0; i < 20; i++) {
        expect(await cache.get("held")).toBe("1");
        expect(await cache.getOrLoad(`new${i}`, async () => "loaded")).toBe("loaded");
        await cache.set(`set${i}`, "v");
        await cache.invalidateTags(["t"]);
      }
      await eventually(
        "an L2 error counted",
        async () => (await metrics.value("hugr_cache_l2_errors_total")) > 0,
      );
      expect(logs.records().filter((record) => record.level === "warn")).toHaveLength(1);

      await own.restart();
      await eventually("L2 answering again", async () => {
        await cache.set("after", "1");
        return (await node(prefix, { addresses: [own.address] }).cache.get("after")) === "1";
      });
      expect(logs.records().some((record) => record.level === "info")).toBe(true);
    } finally {
      await own.stop();
    }
  });
});
