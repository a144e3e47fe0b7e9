import type { LogLevel } from "@hugr/common";
import type { CoreDbConfig } from "@hugr/coredb";
import type { AuthSettings } from "@hugr/protocol";

/** How the management node runs: standalone (environment variables) or as a Kubernetes operator. */
export type Mode = "standalone" | "kubernetes";

/** The management node's configuration (names as in hugr's docs, plus ours where hugr has none). */
export interface ManagementConfig {
  /** BIND, default ":14000". */
  bind: { host: string; port: number };
  logLevel: LogLevel;
  /** HUGR_DATA_DIR: the embedded database lives in `${dataDir}/management-db` when CORE_DB_PATH is unset. */
  dataDir: string;
  coreDb: CoreDbConfig;
  /** CLUSTER_SECRET: required; shared with every work node. */
  secret: string;
  /** TIMEOUT, default 30s: per-node timeout of health checks and operations. */
  timeoutMs: number;
  /** CHECK, default 1m: health-check interval. */
  checkIntervalMs: number;
  /** NODE_REMOVE_AFTER, default 5m: a node unreachable for this long is removed from the registry. */
  removeAfterMs: number;
  /** Distributed to work nodes when they register. */
  auth: AuthSettings;
}
