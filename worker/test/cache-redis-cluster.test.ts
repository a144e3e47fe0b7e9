/**
 * The cache on a real three-master Redis Cluster (with requirepass): several CACHE_L2_ADDRESSES make
 * a Cluster client; keys spread over the masters, tags and invalidateAll work across slots, and
 * pub/sub carries invalidations between nodes.
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
} from "../src/cache/test-fixtures.js";
import { startRedisCluster, type RedisCluster } from "./harness/redis.js";

const PASSWORD = "cluster-test-password";

let cluster: RedisCluster | undefined;
const opened: Cache[] = [];
let prefixes = 0;

beforeAll(async () => {
  cluster = await startRedisCluster({ password: PASSWORD });
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((cache) => cache.close()));
});

afterAll(async () => {
  await Promise.all(opened.splice(0).map((cache) => cache.close()));
  await cluster?.stop();
});

function redis(): RedisCluster {
  if (!cluster) throw new Error("the Redis Cluster did not start");
  return cluster;
}

function node(clusterPrefix: string): { cache: Cache; logs: CapturedLogs } {
  const logs = captureLogs();
  const cache = createCache(
    cacheConfig({
      l2: { enabled: true, backend: "redis", addresses: redis().addresses, password: PASSWORD, database: 0 },
    }),
    { logger: logs.logger, clusterPrefix, metrics: testMetrics().metrics },
  );
  opened.push(cache);
  return { cache, logs };
}

const newPrefix = (): string => `cluster${++prefixes}`;

/** Our keys on each master (SCAN runs per server). */
async function keysPerMaster(prefix: string): Promise<number[]> {
  return Promise.all(
    redis().nodes.map(async (master) => {
      const keys = await master.cli("--scan", "--pattern", `hugr:${prefix}:*`);
      return keys === "" ? 0 : keys.split("\n").length;
    }),
  );
}

async function connected(cache: Cache, prefix: string): Promise<void> {
  const probe = `probe-${randomUUID()}`; // this node's own: another may have written one
  await eventually("L2 write on the cluster", async () => {
    await cache.set(probe, "1");
    return (await redis().cli("exists", `hugr:${prefix}:v:${probe}`)) === "1";
  });
}

describe("L2 on a Redis Cluster", () => {
  it("spreads keys over the masters and reads them back from another node", async () => {
    const prefix = newPrefix();
    const writer = node(prefix);
    await connected(writer.cache, prefix);
    for (let i = 0; i < 60; i++) await writer.cache.set(`k${i}`, `v${i}`, { tags: [`t${i % 4}`] });
    const spread = await keysPerMaster(prefix);
    expect(spread.filter((count) => count > 0).length).toBeGreaterThanOrEqual(2);

    const reader = node(prefix);
    await connected(reader.cache, prefix);
    for (let i = 0; i < 60; i += 7) expect(await reader.cache.get(`k${i}`)).toBe(`v${i}`);
    expect(await reader.cache.remainingTtlMs("k0")).toBeGreaterThan(0);
  });

  it("drops a tag's keys wherever their slots are", async () => {
    const prefix = newPrefix();
    const { cache } = node(prefix);
    await connected(cache, prefix);
    for (let i = 0; i < 30; i++) await cache.set(`k${i}`, "v", { tags: [i % 2 === 0 ? "even" : "odd"] });
    await cache.invalidateTags(["even"]);
    const reader = node(prefix);
    await connected(reader.cache, prefix);
    for (let i = 0; i < 30; i++) {
      expect(await reader.cache.get(`k${i}`)).toBe(i % 2 === 0 ? undefined : "v");
    }
  });

  it("invalidateAll drops this cluster's keys on every master and nothing else", async () => {
    const prefix = newPrefix();
    const { cache } = node(prefix);
    await connected(cache, prefix);
    for (let i = 0; i < 40; i++) await redis().cli("set", `foreign${i}`, "keep");
    for (let i = 0; i < 40; i++) await cache.set(`k${i}`, "v", { tags: ["t"] });
    expect((await keysPerMaster(prefix)).reduce((a, b) => a + b)).toBeGreaterThan(40);

    await cache.invalidateAll();
    expect(await keysPerMaster(prefix)).toEqual([0, 0, 0]);
    for (let i = 0; i < 40; i += 9) expect(await redis().cli("get", `foreign${i}`)).toBe("keep");
  });

  it("carries invalidations between nodes over the cluster's pub/sub", async () => {
    const prefix = newPrefix();
    const first = node(prefix);
    const second = node(prefix);
    await connected(first.cache, prefix);
    await connected(second.cache, prefix);
    const channel = `hugr:${prefix}:invalidations`;
    await eventually("both nodes subscribed", async () => {
      const counts = await Promise.all(
        redis().nodes.map(async (master) =>
          Number((await master.cli("pubsub", "numsub", channel)).split("\n")[1]),
        ),
      );
      return counts.reduce((a, b) => a + b) >= 2;
    });
    await first.cache.set("k", "1", { tags: ["orders"] });
    expect(await second.cache.get("k")).toBe("1");
    await first.cache.invalidateTags(["orders"]);
    await eventually(
      "the second node's L1 to drop 'k'",
      async () => (await second.cache.get("k")) === undefined,
    );
  });
});
