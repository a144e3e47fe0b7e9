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
  /**
   * HUGR_DATA_DIR: when CORE_DB_PATH is unset, the management node's own database is the DuckDB file
   * `${dataDir}/management.duckdb` (or the PGlite folder `${dataDir}/management-db` of an earlier version).
   */
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

/** The operator's configuration in Kubernetes mode (see docs/installation.md for each variable). */
export interface OperatorConfig {
  /** BIND, default ":14000": the management API, /health, /ready and /metrics. */
  bind: { host: string; port: number };
  logLevel: LogLevel;
  /** POD_NAMESPACE: the operator's own namespace, where its Lease lives. */
  namespace: string;
  /**
   * POD_NAME (default the host name): the name of this replica's pod. The leader labels that pod,
   * and Events name it as their reporting instance.
   */
  podName: string;
  /**
   * The holder identity of this process in the Lease: `<podName>_<random UUID>`, generated once when
   * the configuration is read, as controller-runtime does. A container restarted in the same pod, or a
   * second process on the same host, is another candidate: it never renews a term it does not hold,
   * but waits for the Lease to expire like any standby.
   */
  identity: string;
  /**
   * OPERATOR_MANAGEMENT_URL: how worker pods reach this operator's Service, default
   * http://hugr-operator.<POD_NAMESPACE>.svc:<port>. Each cluster's workers get it plus
   * /clusters/<namespace>/<name>.
   */
  managementUrl: string;
  /** WATCH_NAMESPACES: the namespaces whose HugrClusters are reconciled; empty: all. */
  watchNamespaces: string[];
  leaderElection: {
    /** LEADER_ELECT, default true. */
    enabled: boolean;
    /** LEADER_ELECTION_LEASE_NAME, default "hugr-operator". */
    leaseName: string;
    /** LEADER_ELECTION_LEASE_DURATION, default 15s: how long a standby waits for a silent leader. */
    leaseDurationMs: number;
    /** LEADER_ELECTION_RENEW_DEADLINE, default 10s: the leader steps down when it cannot renew this long. */
    renewDeadlineMs: number;
    /** LEADER_ELECTION_RETRY_PERIOD, default 2s. */
    retryPeriodMs: number;
  };
  /** MAX_CONCURRENT_RECONCILES, default 4: HugrClusters reconciled at once. */
  maxConcurrentReconciles: number;
  /** RESYNC_PERIOD, default 10m: full relist of every watched kind. */
  resyncMs: number;
  /** TIMEOUT, CHECK, NODE_REMOVE_AFTER: as in standalone mode, for every cluster. */
  timeoutMs: number;
  checkIntervalMs: number;
  removeAfterMs: number;
}
