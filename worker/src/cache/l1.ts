import { LRUCache } from "lru-cache";
import type { CacheMetrics, L1Stats } from "./metrics.js";
import type { CacheValue } from "./types.js";

/** One L1 entry: the value, the tags that invalidate it, and the bytes it is counted for. */
interface L1Entry {
  value: CacheValue;
  tags: readonly string[];
  size: number;
}

/** Options of {@link createL1}. */
export interface L1Options {
  /** CACHE_L1_MAX_SIZE in bytes: least recently used entries leave beyond it. */
  maxBytes: number;
  /** CACHE_L1_MAX_ITEM_SIZE in bytes: a larger entry is not held in L1 (L2 still holds it). */
  maxEntryBytes: number;
  /** CACHE_L1_EVICTION_TIME: an entry stays in L1 at most this long, whatever its TTL. */
  maxTtlMs: number | undefined;
  now: () => number;
  metrics: CacheMetrics;
}

/**
 * The in-process level: lru-cache bounded by bytes with a TTL per entry, plus an index from tag to
 * keys so that a tag invalidation (local or from another node) finds its entries without a scan.
 * Expired entries leave when read, when evicted, or at purge() (CACHE_L1_CLEAN_TIME).
 */
export interface L1 {
  get(key: string): { value: CacheValue; tags: readonly string[] } | undefined;
  /** Stores the entry for `ttlMs` (capped by maxTtlMs); false when it is too large to hold. */
  set(key: string, value: CacheValue, ttlMs: number, tags: readonly string[]): boolean;
  /** Milliseconds left, or undefined when absent or expired. */
  remainingTtlMs(key: string): number | undefined;
  deleteTags(tags: readonly string[]): void;
  clear(): void;
  /** Drops expired entries now. */
  purge(): void;
  stats(): L1Stats;
}

/** The bytes an entry is counted for: its value's and its key's (UTF-8). */
export function entryBytes(key: string, value: CacheValue): number {
  const valueBytes = typeof value === "string" ? Buffer.byteLength(value) : value.byteLength;
  return valueBytes + Buffer.byteLength(key);
}

export function createL1(options: L1Options): L1 {
  const { metrics, maxTtlMs } = options;
  const keysByTag = new Map<string, Set<string>>();
  const unindex = (key: string, tags: readonly string[]): void => {
    for (const tag of tags) {
      const keys = keysByTag.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) keysByTag.delete(tag);
    }
  };
  const lru = new LRUCache<string, L1Entry>({
    maxSize: options.maxBytes,
    maxEntrySize: options.maxEntryBytes,
    sizeCalculation: (entry) => entry.size,
    // Read the clock on every check: lru-cache otherwise reuses a reading for 1 ms of real time,
    // which an injected clock moved by a test would not see.
    ttlResolution: 0,
    perf: { now: options.now },
    // Every removal, whatever its reason (replaced, deleted, evicted, expired), leaves the tag index.
    dispose: (entry, key, reason) => {
      unindex(key, entry.tags);
      if (reason === "evict") metrics.l1Evictions.inc({ reason: "size" });
      else if (reason === "expire") metrics.l1Evictions.inc({ reason: "expired" });
    },
  });
  const maxEntryBytes = Math.min(options.maxBytes, options.maxEntryBytes);

  return {
    get(key) {
      const entry = lru.get(key);
      return entry && { value: entry.value, tags: entry.tags };
    },
    set(key, value, ttlMs, tags) {
      const size = entryBytes(key, value);
      if (size > maxEntryBytes) {
        lru.delete(key); // an older, smaller value must not outlive this write
        return false;
      }
      const ttl = Math.max(1, Math.ceil(maxTtlMs === undefined ? ttlMs : Math.min(ttlMs, maxTtlMs)));
      // Index after set: set disposes the replaced entry, which unindexes the key from its old tags.
      lru.set(key, { value, tags, size }, { ttl });
      for (const tag of tags) {
        const keys = keysByTag.get(tag);
        if (keys) keys.add(key);
        else keysByTag.set(tag, new Set([key]));
      }
      return true;
    },
    remainingTtlMs(key) {
      return lru.has(key) ? lru.getRemainingTTL(key) : undefined; // has() is false once expired
    },
    deleteTags(tags) {
      for (const tag of tags) {
        for (const key of [...(keysByTag.get(tag) ?? [])]) lru.delete(key);
      }
    },
    clear() {
      lru.clear();
    },
    purge() {
      lru.purgeStale();
    },
    stats() {
      return { entries: lru.size, bytes: lru.calculatedSize };
    },
  };
}
