import type { AuthConfig, LogLevel } from "@hugr/common";
import type { CoreDbConfig } from "@hugr/coredb";

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
  auth: AuthConfig;
  /** Present when CLUSTER_MANAGEMENT_URL is set: the node runs in cluster mode. */
  cluster: ClusterConfig | undefined;
  /** CORS_ALLOWED_ORIGINS: comma-separated origins; empty disables CORS headers. */
  corsAllowedOrigins: string[];
}

export type { AuthConfig } from "@hugr/common";
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

export interface ClusterConfig {
  secret: string;
  managementUrl: string;
  nodeName: string;
  nodeUrl: string;
  /** CLUSTER_TIMEOUT, milliseconds. */
  timeoutMs: number;
}
