/**
 * Redis failing under a running cache: killed (SIGKILL) and restarted on the same port, and hung
 * (SIGSTOP) then resumed. Calls never throw, answer from L1 and the loaders meanwhile, one warning
 * per outage, the L2 error metric grows, and L2 works again afterwards; an invalidation made while
 * Redis was hung is applied when it is back.
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
import { startRedis, type RedisServer } from "./harness/redis.js";

const PASSWORD = "faults-test-password";

let redis: RedisServer | undefined;
const opened: Cache[] = [];
let prefixes = 0;

beforeAll(async () => {
  redis = await startRedis({ password: PASSWORD });
});

afterEach(async () => {
  redis?.resume(); // should a test fail while the server is paused
  await Promise.all(opened.splice(0).map((cache) => cache.close()));
});

afterAll(async () => {
  await Promise.all(opened.splice(0).map((cache) => cache.close()));
  await redis?.stop();
});

function server(): RedisServer {
  if (!redis) throw new Error("Redis did not start");
  return redis;
}

function node(clusterPrefix: string): { cache: Cache; logs: CapturedLogs; metrics: TestMetrics } {
  const logs = captureLogs();
  const metrics = testMetrics();
  const cache = createCache(
    cacheConfig({
      l2: { enabled: true, backend: "redis", addresses: [server().address], password: PASSWORD },
    }),
    { logger: logs.logger, clusterPrefix, metrics: metrics.metrics },
  );
  opened.push(cache);
  return { cache, logs, metrics };
}

const inRedis = async (key: string): Promise<boolean> => (await server().cli("exists", key)) === "1";

async function connected(cache: Cache, prefix: string): Promise<void> {
  const probe = `probe-${randomUUID()}`; // this node's own: another may have written one
  await eventually("L2 write", async () => {
    await cache.set(probe, "1");
    return inRedis(`hugr:${prefix}:v:${probe}`);
  });
}

const warnings = (logs: CapturedLogs) => logs.records().filter((record) => record.level === "warn");

describe("Redis killed and restarted mid-use", () => {
  it("answers every call from L1 or the loader, then uses L2 again", async () => {
    const prefix = `faults${++prefixes}`;
    const { cache, logs, metrics } = node(prefix);
    await connected(cache, prefix);
    let loads = 0;
    const load = async () => `loaded${++loads}`;
    const held = await cache.getOrLoad("held", load);
    await eventually("the loaded value written to L2", () => inRedis(`hugr:${prefix}:v:held`));

    await server().kill();
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 50; i++) {
      calls.push(cache.getOrLoad("held", load));
      calls.push(cache.getOrLoad(`miss${i}`, load));
      calls.push(cache.set(`set${i}`, "v", { tags: ["t"] }));
      calls.push(cache.get(`set${i}`));
      calls.push(cache.remainingTtlMs(`miss${i}`));
    }
    const outcomes = await Promise.allSettled(calls);
    expect(outcomes.filter((outcome) => outcome.status === "rejected")).toEqual([]);
    expect(await cache.getOrLoad("held", load)).toBe(held);
    expect(await cache.get("set7")).toBe("v");
    await eventually(
      "L2 errors counted",
      async () => (await metrics.value("hugr_cache_l2_errors_total")) > 0,
    );

    await server().restart();
    await eventually("L2 written again after the restart", async () => {
      await cache.set("after", "1");
      return inRedis(`hugr:${prefix}:v:after`);
    });
    expect(warnings(logs)).toHaveLength(1);
    expect(
      logs
        .records()
        .some((record) => record.level === "info" && String(record.msg).includes("available again")),
    ).toBe(true);
    expect(logs.text()).not.toContain(PASSWORD);
  });
});

describe("Redis hung and resumed", () => {
  it("keeps answering while it hangs and applies the invalidations it missed once it is back", async () => {
    const prefix = `faults${++prefixes}`;
    const { cache, logs, metrics } = node(prefix);
    await connected(cache, prefix);
    await cache.set("orders", "1", { tags: ["orders"] });
    await cache.set("customers", "1", { tags: ["customers"] });

    server().pause();
    try {
      expect(await cache.getOrLoad("fresh", async () => "loaded")).toBe("loaded");
      // L2 is known down (the read above timed out): the invalidation is not even sent, only kept.
      await cache.invalidateTags(["orders"]);
      expect(await cache.get("orders")).toBeUndefined();
      expect(await cache.get("customers")).toBe("1");
      await eventually(
        "an L2 timeout counted",
        async () => (await metrics.value("hugr_cache_l2_errors_total")) > 0,
      );
    } finally {
      server().resume();
    }
    await eventually("the missed invalidation applied to Redis", async () => {
      await cache.get("absent"); // any L2 call ends the outage once Redis answers
      return !(await inRedis(`hugr:${prefix}:v:orders`));
    });
    expect(await inRedis(`hugr:${prefix}:v:customers`)).toBe(true);
    expect(warnings(logs)).toHaveLength(1);
  });
});
