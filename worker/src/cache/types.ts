import type { Logger } from "@hugr/common";
import type { CacheInvalidation } from "@hugr/protocol";
import type { CacheMetrics } from "./metrics.js";

/**
 * What the cache holds: an already serialized result (a JSON string, or bytes such as Arrow IPC).
 * The cache never parses it; an entry's size is its byte length plus its key's.
 */
export type CacheValue = string | Buffer;

/** Options of one write. */
export interface CacheSetOptions {
  /** Time to live in milliseconds; absent, not finite or not positive: the configured CACHE_TTL. */
  ttlMs?: number;
  /**
   * Tags the entry depends on (hugr's `@cache(tags:)`, a data source, a role): invalidating any of
   * them drops the entry from every level and, through the invalidation bus, from every node's L1.
   */
  tags?: readonly string[];
}

/** Options of {@link Cache.getOrLoad}. */
export interface GetOrLoadOptions extends CacheSetOptions {
  /** Whether a loaded value may be stored (for example: not a result with errors); default: always. */
  cacheable?: (value: CacheValue) => boolean;
}

/**
 * An invalidation made on one node, for the others (the management API's contract, which relays it
 * when L2 is not Redis): `origin` is the sending cache's {@link Cache.id}; a cache ignores its own
 * messages (it has applied them already).
 */
export type { CacheInvalidation } from "@hugr/protocol";

/**
 * The node's two-level cache. No method throws because of L2: a failing, slow or unreachable L2 is
 * skipped (reads fall back to L1 and the loader, writes and invalidations keep to L1), logged once per
 * outage and counted in `hugr_cache_l2_errors_total`. Only a loader's own error reaches the caller.
 */
export interface Cache {
  /** This cache's id in invalidation messages (random, one per instance). */
  readonly id: string;
  /** False when both levels are disabled: getOrLoad then only deduplicates concurrent loads. */
  readonly enabled: boolean;
  /** The value under `key` from L1, else from L2 (which fills L1 with the remaining TTL). */
  get(key: string): Promise<CacheValue | undefined>;
  /** Stores `value` in L1 and, awaited, in L2. */
  set(key: string, value: CacheValue, options?: CacheSetOptions): Promise<void>;
  /**
   * The cached value, or `load()`'s, stored in both levels before it is returned (so that an
   * invalidation asked once the caller has it finds it everywhere). Concurrent calls for one key
   * that miss run `load` once and share its outcome; a load that fails is not cached and its error
   * reaches every caller waiting on it.
   */
  getOrLoad(key: string, load: () => Promise<CacheValue>, options?: GetOrLoadOptions): Promise<CacheValue>;
  /** Milliseconds `key` has left (L1's, else L2's own report: Redis PTTL), or undefined when absent. */
  remainingTtlMs(key: string): Promise<number | undefined>;
  /**
   * L1 alone, for what this node derives from cached entries (whole responses made of cached
   * results): never written to L2, dropped by the same tags and invalidations. Undefined without L1.
   */
  readonly local: LocalCache | undefined;
  /** Drops the entries carrying any of `tags` from L1, L2 and (through the bus) every node's L1. */
  invalidateTags(tags: readonly string[]): Promise<void>;
  /** Drops this cluster's entries, and only them (every key under its namespace), everywhere. */
  invalidateAll(): Promise<void>;
  /**
   * Applies an invalidation received from another node: drops the matching L1 entries (L2 was
   * cleaned by the sender). For a transport other than Redis pub/sub (the management node).
   */
  onRemoteInvalidation(message: CacheInvalidation): void;
  /** Waits for background L2 writes, stops timers and closes L2 connections. Idempotent. */
  close(): Promise<void>;
}

/** The node's own L1 entries: see {@link Cache.local}. */
export interface LocalCache {
  /** The value and the milliseconds it has left, or undefined; synchronous, counted as level "local". */
  get(key: string): { value: CacheValue; remainingTtlMs: number } | undefined;
  /** The invalidations seen so far, for {@link LocalCache.set}'s `since`. */
  version(): number;
  /**
   * Stores `value` unless an invalidation came after `since` (a {@link LocalCache.version} read
   * before the value was derived: what it was made of may be stale).
   */
  set(key: string, value: CacheValue, since: number, options: CacheSetOptions): void;
}

/** Options of {@link createCache} besides the configuration. */
export interface CreateCacheOptions {
  logger: Logger;
  /**
   * The cluster's namespace (the node passes "standalone", or a digest of its management node's URL,
   * see server.ts): every L2 key, tag and channel lives under
   * `hugr:<clusterPrefix>:`, so clusters sharing a Redis or Memcached never see nor drop each
   * other's entries.
   */
  clusterPrefix: string;
  /** Where to count; default: a private registry (pass the node's, see createCacheMetrics). */
  metrics?: CacheMetrics;
  /**
   * The clock, epoch milliseconds, for L1 TTLs and the expiry times Memcached entries carry;
   * default Date.now. Tests pass their own to move time without waiting.
   */
  now?: () => number;
  /**
   * Called with every invalidation made on this node, to carry it to the other nodes when L2 is not
   * Redis (which has its own pub/sub bus). Failures are logged, never thrown.
   */
  broadcast?: (message: CacheInvalidation) => void | Promise<void>;
}
