/**
 * The cache on a real Redis with `requirepass`: L2 round trips in the configured database, the
 * server's own TTL report, tags, a namespace-only invalidateAll, cross-node L1 invalidation over
 * pub/sub, and bad configuration (wrong password, nothing listening).
 */
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createCache, type Cache } from "../src/cache/index.js";
import {
  cacheConfig,
  captureLogs,
  eventually,
  testMetrics,
  type CapturedLogs,
  type TestMetrics,
} from "../src/cache/test-fixtures.js";
import { freePort } from "./harness/net.js";
import { startRedis, type RedisServer } from "./harness/redis.js";

const PASSWORD = "redis-test-password";
const DATABASE = 3;

let redis: RedisServer | undefined;
const opened: Cache[] = [];
let prefixes = 0;

beforeAll(async () => {
  redis = await startRedis({ password: PASSWORD });
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((cache) => cache.close()));
});

afterAll(async () => {
  await Promise.all(opened.splice(0).map((cache) => cache.close()));
  await redis?.stop();
});

interface Node {
  cache: Cache;
  logs: CapturedLogs;
  metrics: TestMetrics;
}

/** A cache as one work node would have it (its own L1, logs and metrics) on the test's Redis. */
function node(
  clusterPrefix: string,
  l2: { password?: string; addresses?: string[]; database?: number } = {},
): Node {
  const logs = captureLogs();
  const metrics = testMetrics();
  const cache = createCache(
    cacheConfig({
      l2: {
        enabled: true,
        backend: "redis",
        addresses: l2.addresses ?? [server().address],
        database: l2.database ?? DATABASE,
        password: l2.password ?? PASSWORD,
      },
    }),
    { logger: logs.logger, clusterPrefix, metrics: metrics.metrics },
  );
  opened.push(cache);
  return { cache, logs, metrics };
}

function server(): RedisServer {
  if (!redis) throw new Error("Redis did not start");
  return redis;
}

const newPrefix = (): string => `test${++prefixes}`;
const cli = (...args: string[]): Promise<string> => server().cli("-n", String(DATABASE), ...args);

/** Waits until `count` connections listen on the cluster's invalidation channel. */
async function subscribers(prefix: string, count: number): Promise<void> {
  const channel = `hugr:${prefix}:invalidations`;
  await eventually(`${count} subscribers on ${channel}`, async () => {
    const reply = await server().cli("pubsub", "numsub", channel);
    return Number(reply.split("\n")[1]) >= count;
  });
}

/** Waits until L2 answers on `cache` (its connection is up). */
async function connected(cache: Cache, prefix: string): Promise<void> {
  const probe = `probe-${randomUUID()}`; // this node's own: another may have written one
  await eventually("L2 write", async () => {
    await cache.set(probe, "1");
    return (await cli("exists", `hugr:${prefix}:v:${probe}`)) === "1";
  });
}

describe("L2 on Redis (one server, requirepass, CACHE_L2_DATABASE)", () => {
  it("round-trips between nodes in the configured database, holding L2 hits in L1", async () => {
    const prefix = newPrefix();
    const writer = node(prefix);
    const reader = node(prefix);
    await connected(writer.cache, prefix);
    await writer.cache.set("query", '{"data":1}', { ttlMs: 30_000, tags: ["orders"] });
    await writer.cache.set("bytes", Buffer.from([0, 1, 2]));
    expect(await cli("exists", `hugr:${prefix}:v:query`)).toBe("1");
    expect(await server().cli("-n", "0", "exists", `hugr:${prefix}:v:query`)).toBe("0");

    await connected(reader.cache, prefix);
    expect(await reader.cache.get("query")).toBe('{"data":1}');
    expect(await reader.cache.get("bytes")).toEqual(Buffer.from([0, 1, 2]));
    expect(await reader.metrics.value("hugr_cache_hits_total", { level: "l2" })).toBe(2);
    // Held in L1 now: the next read does not reach L2.
    expect(await reader.cache.get("query")).toBe('{"data":1}');
    expect(await reader.metrics.value("hugr_cache_hits_total", { level: "l1" })).toBe(1);
    expect(await reader.metrics.value("hugr_cache_hits_total", { level: "l2" })).toBe(2);
  });

  it("reports the server's remaining TTL (PTTL) and fills L1 with no more than it", async () => {
    const prefix = newPrefix();
    const writer = node(prefix);
    await connected(writer.cache, prefix);
    await writer.cache.set("k", "v", { ttlMs: 30_000 });
    const pttl = Number(await cli("pttl", `hugr:${prefix}:v:k`));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(30_000);

    const reader = node(prefix);
    await connected(reader.cache, prefix);
    const fromL2 = await reader.cache.remainingTtlMs("k");
    expect(fromL2).toBeGreaterThan(0);
    expect(fromL2).toBeLessThanOrEqual(pttl);
    await reader.cache.get("k"); // fills L1
    expect(await reader.cache.remainingTtlMs("k")).toBeLessThanOrEqual(fromL2!);
    expect(await reader.cache.remainingTtlMs("absent")).toBeUndefined();
  });

  it("drops a tag's keys from Redis, keeping the tag's set only as long as its entries", async () => {
    const prefix = newPrefix();
    const { cache } = node(prefix);
    await connected(cache, prefix);
    await cache.set("a", "1", { tags: ["orders"], ttlMs: 20_000 });
    await cache.set("b", "1", { tags: ["orders", "customers"], ttlMs: 40_000 });
    await cache.set("c", "1", { tags: ["customers"] });
    const tagTtl = Number(await cli("pttl", `hugr:${prefix}:t:orders`));
    expect(tagTtl).toBeGreaterThan(20_000); // the longest-lived member's
    expect(tagTtl).toBeLessThanOrEqual(40_000);

    await cache.invalidateTags(["orders"]);
    expect(await cli("exists", `hugr:${prefix}:v:a`, `hugr:${prefix}:v:b`, `hugr:${prefix}:t:orders`)).toBe(
      "0",
    );
    expect(await cli("exists", `hugr:${prefix}:v:c`)).toBe("1");
    const other = node(prefix);
    await connected(other.cache, prefix);
    expect(await other.cache.get("a")).toBeUndefined();
    expect(await other.cache.get("c")).toBe("1");
  });

  it("invalidateAll drops this cluster's keys and leaves every other key of the database", async () => {
    const prefix = newPrefix();
    const { cache } = node(prefix);
    await connected(cache, prefix);
    await cli("set", "foreign", "keep");
    await cli("set", `hugr:${prefix}x:v:neighbour`, "keep"); // a cluster whose name starts alike
    const neighbour = node(`${prefix}-other`);
    await connected(neighbour.cache, `${prefix}-other`);
    await neighbour.cache.set("theirs", "keep");
    for (let i = 0; i < 50; i++) await cache.set(`k${i}`, "v", { tags: [`t${i % 3}`] });

    await cache.invalidateAll();
    expect(await cli("--scan", "--pattern", `hugr:${prefix}:*`)).toBe("");
    expect(await cli("get", "foreign")).toBe("keep");
    expect(await cli("get", `hugr:${prefix}x:v:neighbour`)).toBe("keep");
    expect(await neighbour.cache.get("theirs")).toBe("keep");
    expect(await cache.get("k1")).toBeUndefined();
  });

  it("drops another node's L1 entries on a tag invalidation and on invalidateAll (pub/sub)", async () => {
    const prefix = newPrefix();
    const first = node(prefix);
    const second = node(prefix);
    await connected(first.cache, prefix);
    await connected(second.cache, prefix);
    await subscribers(prefix, 2);
    await first.cache.set("orders", "1", { tags: ["orders"] });
    await first.cache.set("customers", "1", { tags: ["customers"] });
    expect(await second.cache.get("orders")).toBe("1"); // now in the second node's L1
    expect(await second.cache.get("customers")).toBe("1");

    await first.cache.invalidateTags(["orders"]);
    await eventually(
      "the second node's L1 to drop 'orders'",
      async () => (await second.cache.get("orders")) === undefined,
    );
    expect(await second.cache.get("customers")).toBe("1");

    await second.cache.invalidateAll();
    await eventually(
      "the first node's L1 to drop 'customers'",
      async () => (await first.cache.get("customers")) === undefined,
    );
  });
});

describe("Redis misconfigured", () => {
  it("logs a clear error for a wrong password, without the password, and keeps answering", async () => {
    const wrong = "not-the-redis-password";
    const { cache, logs, metrics } = node(newPrefix(), { password: wrong });
    await eventually("the credentials error", () =>
      logs.records().some((record) => record.level === "error"),
    );
    const error = logs.records().find((record) => record.level === "error")!;
    expect(String(error.msg)).toContain("CACHE_L2_PASSWORD");
    expect(String(error.err)).toMatch(/WRONGPASS|NOAUTH/);
    expect(logs.text()).not.toContain(wrong);
    expect(logs.text()).not.toContain(PASSWORD);

    await expect(cache.set("k", "v")).resolves.toBeUndefined();
    expect(await cache.get("k")).toBe("v");
    expect(await cache.getOrLoad("other", async () => "loaded")).toBe("loaded");
    expect(await metrics.value("hugr_cache_l2_errors_total")).toBeGreaterThan(0);
  });

  it("starts with nothing listening at the address, warns, and serves from L1 and the loader", async () => {
    const nowhere = `127.0.0.1:${await freePort()}`;
    const { cache, logs } = node(newPrefix(), { addresses: [nowhere] });
    await eventually("the unavailable warning", () =>
      logs.records().some((record) => record.level === "warn"),
    );
    const warning = logs.records().find((record) => record.level === "warn")!;
    expect(warning.l2).toBe(`redis at ${nowhere}`);
    expect(await cache.getOrLoad("k", async () => "loaded")).toBe("loaded");
    expect(await cache.get("k")).toBe("loaded");
    await cache.invalidateTags(["t"]);
    await cache.invalidateAll();
    expect(logs.records().filter((record) => record.level === "warn")).toHaveLength(1);
  });
});
