import type { LogLevel } from "@hugr/common";
import type { CoreDbConfig } from "@hugr/coredb";
import type { AuthSettings } from "@hugr/protocol";

/** The work node's configuration, parsed from environment variables (names as in hugr's docs). */
export interface WorkerConfig {
  /** BIND, default ":15000". An empty host listens on every interface. */
  bind: { host: string; port: number };
  /** ADMIN_UI: serve GraphiQL at /admin. */
  adminUI: boolean;
  /** LOG_LEVEL: pino level, default "info". */
  logLevel: LogLevel;
  /** HUGR_DATA_DIR: where embedded state lives (the default embedded core database), default ".data". */
  dataDir: string;
  coreDb: CoreDbConfig;
  cache: CacheConfig;
  storageCache: StorageCacheConfig;
  dataSources: DataSourcePoolConfig;
  /**
   * ALLOWED_ANONYMOUS, ANONYMOUS_ROLE, SECRET_KEY, ALLOW_MANAGED_API_KEYS, OIDC_* and the read
   * AUTH_CONFIG_FILE, checked at start (buildAuthPolicy). In cluster mode the node applies the
   * management node's settings instead, as hugr's work nodes do.
   */
  auth: AuthSettings;
  /** Present when CLUSTER_MANAGEMENT_URL is set: the node runs in cluster mode. */
  cluster: ClusterConfig | undefined;
  /** CORS_ALLOWED_ORIGINS: comma-separated origins; empty disables CORS headers. */
  corsAllowedOrigins: string[];
}

export type { AuthSettings } from "@hugr/protocol";
export type { CoreDbConfig } from "@hugr/coredb";

export interface CacheConfig {
  /** CACHE_TTL, milliseconds. */
  ttlMs: number;
  l1: L1CacheConfig;
  l2: {
    enabled: boolean;
    backend: "redis" | "memcached";
    addresses: string[];
    database: number;
    username: string | undefined;
    password: string | undefined;
  };
}

/**
 * CACHE_L1_*. hugr hands these to bigcache; we keep hugr's meaning where it applies to lru-cache.
 * CACHE_L1_SHARDS (bigcache's lock shards) does not apply to one JavaScript thread: it is checked
 * (a positive integer) and otherwise ignored.
 */
export interface L1CacheConfig {
  /** CACHE_L1_ENABLED, default false. */
  enabled: boolean;
  /** CACHE_L1_MAX_SIZE, MB, default 512 (hugr's): least recently used entries leave beyond it. */
  maxSizeMB: number;
  /**
   * CACHE_L1_MAX_ITEM_SIZE, MB, default 100 (hugr's documented default): a larger entry is not held
   * in L1 (L2 still holds it). bigcache only sizes its first allocation with it; ours is a limit.
   */
  maxItemSizeMB: number;
  /**
   * CACHE_L1_CLEAN_TIME, milliseconds (bigcache's CleanWindow): how often expired entries are purged;
   * unset: never on a timer (they leave when read or evicted, as bigcache with no CleanWindow).
   */
  cleanIntervalMs: number | undefined;
  /**
   * CACHE_L1_EVICTION_TIME, milliseconds (bigcache's LifeWindow, its lifetime of every entry): the
   * longest an entry stays in L1, whatever its own TTL; unset: its TTL alone.
   */
  evictionTimeMs: number | undefined;
}

/** The local copies of object storage files (see storages/file-cache.ts). */
export interface StorageCacheConfig {
  /** STORAGE_CACHE_DIR, default `<HUGR_DATA_DIR>/object-cache`. */
  dir: string;
  /** STORAGE_CACHE_MAX_SIZE, MB, default 1024: least recently used objects are deleted beyond it. */
  maxSizeMB: number;
}

/** Limits of each loaded data source's connection pool. */
export interface DataSourcePoolConfig {
  /** DATA_SOURCE_MAX_CONNECTIONS, default 10 (per data source, per node). */
  maxConnections: number;
  /** DATA_SOURCE_STATEMENT_TIMEOUT, milliseconds, default 30s: longer statements are cancelled. */
  statementTimeoutMs: number;
  /** DATA_SOURCE_CONNECT_TIMEOUT, milliseconds, default 10s. */
  connectTimeoutMs: number;
  /** DATA_SOURCE_IDLE_TIMEOUT, milliseconds, default 1m: idle connections are closed after it. */
  idleTimeoutMs: number;
}

export interface ClusterConfig {
  secret: string;
  managementUrl: string;
  nodeName: string;
  nodeUrl: string;
  /** CLUSTER_TIMEOUT, milliseconds. */
  timeoutMs: number;
}
