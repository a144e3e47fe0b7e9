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
  l1: { enabled: boolean; maxSizeMB: number };
  l2: {
    enabled: boolean;
    backend: "redis" | "memcached";
    addresses: string[];
    database: number;
    username: string | undefined;
    password: string | undefined;
  };
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
