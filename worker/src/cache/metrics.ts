import { Counter, Gauge, type Registry } from "prom-client";

/**
 * The cache level a hit or a miss was counted at: "local" counts the lookups of `Cache.local`
 * (entries this node derived, held in its L1 only).
 */
export type CacheLevel = "l1" | "l2" | "local";

/** What an L1 holds now, read when the registry is scraped (no work on the request path). */
export interface L1Stats {
  entries: number;
  bytes: number;
}

/**
 * The cache's Prometheus metrics. The hit ratio the reference tells operators to watch is
 * `hits / (hits + misses)` per level.
 */
export interface CacheMetrics {
  /** Lookups answered, by level. */
  hits: Counter<"level">;
  /** Lookups not answered, by level (an L2 skipped during an outage counts as an L2 miss). */
  misses: Counter<"level">;
  /** L1 entries removed before their time: `size` (least recently used, to make room), `expired`. */
  l1Evictions: Counter<"reason">;
  /** Failed L2 operations and connection errors, by backend and operation. */
  l2Errors: Counter<"backend" | "op">;
  /** Adds an L1 to the entries and bytes gauges; returns the function that removes it. */
  trackL1(stats: () => L1Stats): () => void;
}

/**
 * Registers the cache metrics on `registry` (the node's, from observability/createMetrics): one call
 * per registry, since prom-client refuses a metric name twice. Several caches may share the result.
 */
export function createCacheMetrics(registry: Registry): CacheMetrics {
  const sources = new Set<() => L1Stats>();
  const sum = (field: keyof L1Stats): number => {
    let total = 0;
    for (const stats of sources) total += stats()[field];
    return total;
  };
  new Gauge({
    name: "hugr_cache_l1_entries",
    help: "Entries held in the in-process (L1) cache",
    registers: [registry],
    collect() {
      this.set(sum("entries"));
    },
  });
  new Gauge({
    name: "hugr_cache_l1_bytes",
    help: "Bytes held in the in-process (L1) cache (values and keys)",
    registers: [registry],
    collect() {
      this.set(sum("bytes"));
    },
  });
  return {
    hits: new Counter({
      name: "hugr_cache_hits_total",
      help: "Cache lookups answered, by level (l1, l2, local)",
      labelNames: ["level"],
      registers: [registry],
    }),
    misses: new Counter({
      name: "hugr_cache_misses_total",
      help: "Cache lookups not answered, by level (l1, l2, local)",
      labelNames: ["level"],
      registers: [registry],
    }),
    l1Evictions: new Counter({
      name: "hugr_cache_l1_evictions_total",
      help: "L1 entries removed before use: size (least recently used) or expired",
      labelNames: ["reason"],
      registers: [registry],
    }),
    l2Errors: new Counter({
      name: "hugr_cache_l2_errors_total",
      help: "Failed L2 cache operations and connection errors, by backend and operation",
      labelNames: ["backend", "op"],
      registers: [registry],
    }),
    trackL1(stats) {
      sources.add(stats);
      return () => sources.delete(stats);
    },
  };
}
