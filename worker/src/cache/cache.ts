import { randomUUID } from "node:crypto";
import { Registry } from "prom-client";
import type { CacheConfig } from "../config/types.js";
import { createL2Guard, safeMessage, type L2Guard } from "./guard.js";
import { namespace, type Namespace } from "./keys.js";
import { createL1, type L1 } from "./l1.js";
import type { L2Entry, L2Events, L2Store } from "./l2.js";
import { createMemcachedStore } from "./memcached.js";
import { createCacheMetrics, type CacheMetrics } from "./metrics.js";
import { createRedisStore } from "./redis.js";
import type {
  Cache,
  CacheInvalidation,
  CacheSetOptions,
  CacheValue,
  CreateCacheOptions,
  GetOrLoadOptions,
  LocalCache,
} from "./types.js";

const MB = 1024 * 1024;
/** How long L2 is skipped after a failure before one operation tries it again. */
const L2_RETRY_AFTER_MS = 1_000;
/** Tags remembered for replay while L2 is down; beyond, the replay drops everything instead. */
const MAX_MISSED_TAGS = 10_000;

/** L2 with the guard every call to it goes through. */
interface GuardedL2 {
  store: L2Store;
  guard: L2Guard;
}

/**
 * The node's cache: L1 (in process) in front of L2 (Redis or Memcached), either or both per
 * CACHE_L1_ENABLED and CACHE_L2_ENABLED. Returns at once: L2 connects in the background, and an
 * unreachable or misconfigured L2 is a warning (or, for refused credentials, an error) in the logs,
 * never a failure to start. See {@link Cache} for the contract.
 *
 * Invalidations take effect in this order: this node's L1, then L2, then the other nodes (Redis
 * pub/sub, and `broadcast` when given), so a node that drops its L1 entry reads the fresh value.
 * A load that raced an invalidation on this node is returned but not stored. An invalidation L2
 * could not take (it was down) is replayed, with its message, when L2 is back.
 */
export function createCache(config: CacheConfig, options: CreateCacheOptions): Cache {
  const { logger } = options;
  const now = options.now ?? Date.now;
  const metrics = options.metrics ?? createCacheMetrics(new Registry());
  const id = randomUUID();
  const ns = namespace(options.clusterPrefix);
  const l1 = config.l1.enabled ? createL1(l1Options(config, now, metrics)) : undefined;
  const untrack = l1 ? metrics.trackL1(() => l1.stats()) : undefined;
  const cleaner = startCleaner(l1, config.l1.cleanIntervalMs);
  const inflight = new Map<string, Promise<CacheValue>>();
  const background = new Set<Promise<void>>();
  const missed = { all: false, tags: new Set<string>() };
  /** Bumped by every invalidation: a fill started before one must not store what it read. */
  let epoch = 0;
  let closed = false;

  /** Background work (replays of missed invalidations), awaited by close(); it never rejects, but is guarded. */
  const track = (work: Promise<unknown>): void => {
    const settled: Promise<void> = work.then(
      () => {
        background.delete(settled);
      },
      (error: unknown) => {
        background.delete(settled);
        logger.warn({ err: safeMessage(error, []) }, "background cache work failed");
      },
    );
    background.add(settled);
  };

  const ttlOf = (options?: CacheSetOptions): number => {
    const ttl = options?.ttlMs;
    return ttl !== undefined && Number.isFinite(ttl) && ttl > 0 ? ttl : config.ttlMs;
  };

  const applyToL1 = (message: CacheInvalidation): void => {
    epoch++;
    if (message.scope === "all") l1?.clear();
    else l1?.deleteTags(message.tags);
  };

  const onRemoteInvalidation = (message: CacheInvalidation): void => {
    if (message.origin !== id) applyToL1(message);
  };

  const events: L2Events = {
    connectionFailed: (error) => l2?.guard.connectionFailed(error),
    connectionReady: () => l2?.guard.connectionReady(),
    busMessage: onRemoteInvalidation,
    busResumed: () => {
      // The bus was down: invalidations may have passed unseen.
      epoch++;
      l1?.clear();
    },
  };

  const replayMissed = (): void => {
    if (missed.all) track(propagate({ origin: id, scope: "all" }));
    else if (missed.tags.size > 0) track(propagate({ origin: id, scope: "tags", tags: [...missed.tags] }));
    missed.all = false;
    missed.tags.clear();
  };

  const l2 = config.l2.enabled
    ? connectL2(config, { ...options, ns, now, metrics, events, replayMissed })
    : undefined;

  /** L2's part of an invalidation, then the message to the other nodes. */
  async function propagate(message: CacheInvalidation): Promise<void> {
    if (l2 && !closed) {
      const { store, guard } = l2;
      const dropped = await guard.run(
        "invalidate",
        async () => {
          await (message.scope === "all" ? store.invalidateAll() : store.invalidateTags(message.tags));
          return true;
        },
        false,
      );
      if (!dropped) remember(missed, message);
      const bus = store.bus;
      if (bus) await guard.run("publish", () => bus.publish(message), undefined);
    }
    await broadcast(message);
  }

  async function broadcast(message: CacheInvalidation): Promise<void> {
    if (!options.broadcast) return;
    try {
      await options.broadcast(message);
    } catch (error) {
      logger.warn({ err: safeMessage(error, []) }, "could not send a cache invalidation to the other nodes");
    }
  }

  const readL1 = (key: string): CacheValue | undefined => {
    if (!l1) return undefined;
    const entry = l1.get(key);
    (entry ? metrics.hits : metrics.misses).inc({ level: "l1" });
    return entry?.value;
  };

  /** L2's entry, held in L1 for the time it has left there unless an invalidation came meanwhile. */
  const readL2 = async (key: string): Promise<CacheValue | undefined> => {
    if (!l2 || closed) return undefined;
    const startEpoch = epoch;
    const entry: L2Entry | undefined = await l2.guard.run("get", () => l2.store.get(key), undefined);
    (entry ? metrics.hits : metrics.misses).inc({ level: "l2" });
    if (!entry) return undefined;
    if (epoch === startEpoch) l1?.set(key, entry.value, entry.ttlMs, entry.tags);
    return entry.value;
  };

  const writeL2 = (key: string, value: CacheValue, ttlMs: number, tags: readonly string[]): Promise<void> =>
    l2 && !closed
      ? l2.guard.run("set", () => l2.store.set(key, value, ttlMs, tags), undefined)
      : Promise.resolve();

  const load = async (key: string, loader: () => Promise<CacheValue>, options?: GetOrLoadOptions) => {
    const startEpoch = epoch;
    const cached = await readL2(key);
    if (cached !== undefined) return cached;
    const value = await loader();
    const cacheable = options?.cacheable?.(value) ?? true;
    if (cacheable && epoch === startEpoch) {
      const ttlMs = ttlOf(options);
      const tags = uniqueTags(options);
      l1?.set(key, value, ttlMs, tags);
      // Awaited: once the caller has its answer, the entry is in every level, so an invalidation
      // asked after it (from any node) finds it. A write still in flight could outlive one.
      await writeL2(key, value, ttlMs, tags);
    }
    return value;
  };

  const local: LocalCache | undefined = l1 && {
    get(key) {
      const entry = l1.get(key);
      const remainingTtlMs = entry && l1.remainingTtlMs(key);
      const hit = entry !== undefined && remainingTtlMs !== undefined;
      (hit ? metrics.hits : metrics.misses).inc({ level: "local" });
      return hit ? { value: entry.value, remainingTtlMs } : undefined;
    },
    version: () => epoch,
    set(key, value, since, options) {
      if (since === epoch && !closed) l1.set(key, value, ttlOf(options), uniqueTags(options));
    },
  };

  return {
    id,
    enabled: l1 !== undefined || l2 !== undefined,
    local,
    async get(key) {
      return readL1(key) ?? (await readL2(key));
    },
    async set(key, value, options) {
      const ttlMs = ttlOf(options);
      const tags = uniqueTags(options);
      l1?.set(key, value, ttlMs, tags);
      await writeL2(key, value, ttlMs, tags);
    },
    async getOrLoad(key, loader, options) {
      const hit = readL1(key);
      if (hit !== undefined) return hit;
      const pending = inflight.get(key);
      if (pending) return pending;
      const loading = load(key, loader, options).finally(() => inflight.delete(key));
      inflight.set(key, loading);
      return loading;
    },
    async remainingTtlMs(key) {
      const fromL1 = l1?.remainingTtlMs(key);
      if (fromL1 !== undefined || !l2 || closed) return fromL1;
      return l2.guard.run("ttl", () => l2.store.remainingTtlMs(key), undefined);
    },
    async invalidateTags(tags) {
      const message: CacheInvalidation = { origin: id, scope: "tags", tags: [...new Set(tags)] };
      if (message.tags.length === 0) return;
      applyToL1(message);
      await propagate(message);
    },
    async invalidateAll() {
      const message: CacheInvalidation = { origin: id, scope: "all" };
      applyToL1(message);
      await propagate(message);
    },
    onRemoteInvalidation,
    async close() {
      if (closed) return;
      await Promise.allSettled([...background]);
      closed = true;
      if (cleaner) clearInterval(cleaner);
      untrack?.();
      await l2?.store.close();
    },
  };
}

function l1Options(
  config: CacheConfig,
  now: () => number,
  metrics: CacheMetrics,
): Parameters<typeof createL1>[0] {
  return {
    maxBytes: config.l1.maxSizeMB * MB,
    maxEntryBytes: config.l1.maxItemSizeMB * MB,
    maxTtlMs: config.l1.evictionTimeMs,
    now,
    metrics,
  };
}

/** CACHE_L1_CLEAN_TIME: purges expired L1 entries on a timer that does not keep the process alive. */
function startCleaner(l1: L1 | undefined, intervalMs: number | undefined): NodeJS.Timeout | undefined {
  if (!l1 || intervalMs === undefined) return undefined;
  return setInterval(() => l1.purge(), intervalMs).unref();
}

function uniqueTags(options?: CacheSetOptions): string[] {
  return options?.tags ? [...new Set(options.tags)] : [];
}

/** Records an invalidation L2 missed, for the replay when it is back. */
function remember(missed: { all: boolean; tags: Set<string> }, message: CacheInvalidation): void {
  if (message.scope === "all" || missed.tags.size + message.tags.length > MAX_MISSED_TAGS) {
    missed.all = true;
    missed.tags.clear();
  } else if (!missed.all) {
    for (const tag of message.tags) missed.tags.add(tag);
  }
}

interface ConnectL2Options extends CreateCacheOptions {
  ns: Namespace;
  now: () => number;
  metrics: CacheMetrics;
  events: L2Events;
  replayMissed: () => void;
}

/** The configured L2 store behind its guard. */
function connectL2(config: CacheConfig, options: ConnectL2Options): GuardedL2 {
  const { addresses, backend, username, password } = config.l2;
  const { logger, ns } = options;
  const guard = createL2Guard({
    backend,
    target: `${backend} at ${addresses.join(",")}`,
    logger,
    metrics: options.metrics,
    retryAfterMs: L2_RETRY_AFTER_MS,
    secrets: password === undefined ? [] : [password],
    waitForConnection: backend === "redis",
    onRecovered: options.replayMissed,
  });
  if (backend === "memcached") {
    const store = createMemcachedStore({ addresses, username, password, ns, now: options.now, logger });
    return { store, guard };
  }
  if (addresses.length > 1 && config.l2.database !== 0) {
    logger.warn(
      { database: config.l2.database },
      "CACHE_L2_DATABASE is ignored with several CACHE_L2_ADDRESSES: a Redis Cluster has only database 0",
    );
  }
  const store = createRedisStore({
    addresses,
    database: config.l2.database,
    username,
    password,
    ns,
    events: options.events,
  });
  return { store, guard };
}
