/** Shared by the cache's unit tests (src/cache/*.test.ts) and integration tests (test/cache-*.test.ts). */
import { Writable } from "node:stream";
import { createLogger, type Logger } from "@hugr/common";
import { Registry } from "prom-client";
import type { CacheConfig } from "../config/types.js";
import { createCacheMetrics, type CacheMetrics } from "./metrics.js";

/** A logger whose JSON lines are kept for assertions. */
export interface CapturedLogs {
  logger: Logger;
  /** Every line written so far, parsed. */
  records(): Array<Record<string, unknown>>;
  /** Everything written so far, raw (to check a secret never appears). */
  text(): string;
}

export function captureLogs(level = "debug"): CapturedLogs {
  let written = "";
  const sink = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      written += chunk.toString();
      done();
    },
  });
  return {
    logger: createLogger(level, "cache-test", sink),
    records: () =>
      written
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    text: () => written,
  };
}

/** A clock that moves only when told. */
export interface FakeClock {
  now: () => number;
  advance(ms: number): void;
}

export function fakeClock(start = 1_700_000_000_000): FakeClock {
  let time = start;
  return {
    now: () => time,
    advance: (ms) => {
      time += ms;
    },
  };
}

/** A cache configuration: L1 on (1 MB), L2 off, TTL 1 minute, unless overridden. */
export function cacheConfig(overrides: {
  ttlMs?: number;
  l1?: Partial<CacheConfig["l1"]>;
  l2?: Partial<CacheConfig["l2"]>;
}): CacheConfig {
  return {
    ttlMs: overrides.ttlMs ?? 60_000,
    l1: {
      enabled: true,
      maxSizeMB: 1,
      maxItemSizeMB: 1,
      cleanIntervalMs: undefined,
      evictionTimeMs: undefined,
      ...overrides.l1,
    },
    l2: {
      enabled: false,
      backend: "redis",
      addresses: [],
      database: 0,
      username: undefined,
      password: undefined,
      ...overrides.l2,
    },
  };
}

/** Metrics on a registry of their own, with a reader for one series. */
export interface TestMetrics {
  metrics: CacheMetrics;
  registry: Registry;
  value(name: string, labels?: Record<string, string>): Promise<number>;
}

export function testMetrics(): TestMetrics {
  const registry = new Registry();
  const metrics = createCacheMetrics(registry);
  return {
    metrics,
    registry,
    async value(name, labels = {}) {
      const metric = registry.getSingleMetric(name);
      if (!metric) throw new Error(`no metric ${name}`);
      const { values } = await metric.get();
      const matching = values.filter((sample) =>
        Object.entries(labels).every(([label, value]) => sample.labels[label] === value),
      );
      return matching.reduce((sum, sample) => sum + sample.value, 0);
    },
  };
}

/**
 * Polls `check` until it returns true (bounded: rejects after `timeoutMs`, naming `what`). For
 * things that happen on their own (a pub/sub message, a reconnection), never as a timing assertion.
 */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
