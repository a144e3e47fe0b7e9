import { createHash } from "node:crypto";
import type { Logger } from "@hugr/common";
import { openCoreDb, type CoreDb, type CoreDbConfig } from "@hugr/coredb";
import { createReplayCache, verifySignature, type AuthSettings } from "@hugr/protocol";
import type { ClusterDirectory, ClusterEndpoint, ClusterOperationsTarget } from "./app.js";
import type { ManagementMetrics } from "./metrics.js";
import { createClusterService, type ClusterService } from "./service.js";

/** What one HugrCluster's coordination needs, resolved from its spec and Secrets by the reconciler. */
export interface ClusterSettings {
  /** The cluster's core database: the registry and the desired state live there, as in standalone. */
  coreDbUrl: string;
  /** The cluster's core database is read-only: the registry is kept in memory instead. */
  coreDbReadOnly: boolean;
  /** The cluster secret its workers sign with. */
  secret: string;
  auth: AuthSettings;
}

export interface ClusterRuntimeOptions {
  timeoutMs: number;
  checkIntervalMs: number;
  removeAfterMs: number;
  logger: Logger;
  metrics: ManagementMetrics;
  /** Called with a cluster's id when its membership changed (the reconciler re-queues it). */
  onNodesChanged(id: string): void;
  /** How long to wait for a core database to answer before the reconcile fails and retries. */
  connectTimeoutMs?: number;
  /** Where a cluster's operations go (Kubernetes: its custom resources); default its coordination. */
  operationsFor?: (id: string) => ClusterOperationsTarget;
}

/**
 * The clusters this operator coordinates, keyed "<namespace>/<name>". Each has its own registry in
 * its own core database, its own secret and signature check: a worker of one cluster can neither
 * register with nor see another. Only the reconciler changes the set (one reconcile per key at a
 * time, so `ensure` never races itself for one id).
 */
export interface ClusterRuntimes extends ClusterDirectory {
  /** Starts the cluster's coordination, or updates it; reopens it when the database or secret changed. */
  ensure(id: string, settings: ClusterSettings): Promise<ClusterService>;
  /** Stops and forgets a cluster (its HugrCluster is gone). */
  remove(id: string): Promise<void>;
  ids(): string[];
  /** A running cluster's coordination and core database (for the data source and storage reconcilers). */
  coordination(id: string): { service: ClusterService; db: CoreDb } | undefined;
  /** While false (a standby replica) every cluster route answers 503 UNAVAILABLE. */
  setServing(serving: boolean): void;
  closeAll(): Promise<void>;
}

interface Runtime extends ClusterEndpoint {
  db: CoreDb;
  /** Digest of what requires a reopen (database URL, read-only, secret); secrets are never kept plain here. */
  fingerprint: string;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

export function createClusterRuntimes(options: ClusterRuntimeOptions): ClusterRuntimes {
  const runtimes = new Map<string, Runtime>();
  let serving = false;

  async function open(id: string, settings: ClusterSettings, fingerprint: string): Promise<Runtime> {
    const logger = options.logger.child({ cluster: id });
    const db = await openCoreDb(registryDatabase(settings), {
      logger,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    });
    const service = createClusterService({
      db,
      cluster: id,
      secret: settings.secret,
      timeoutMs: options.timeoutMs,
      checkIntervalMs: options.checkIntervalMs,
      removeAfterMs: options.removeAfterMs,
      auth: settings.auth,
      managed: "kubernetes",
      logger,
      metrics: options.metrics,
      onNodesChanged: () => options.onNodesChanged(id),
    });
    try {
      await service.start();
    } catch (error) {
      await db.close().catch(() => undefined);
      throw error;
    }
    const verify = verifySignature({ secret: settings.secret, replayCache: createReplayCache() });
    const operations = options.operationsFor?.(id);
    return { db, service, verify, fingerprint, ...(operations ? { operations } : {}) };
  }

  async function close(id: string, runtime: Runtime): Promise<void> {
    runtimes.delete(id);
    runtime.service.stop();
    await runtime.db.close().catch((error: unknown) => {
      options.logger.warn({ cluster: id, err: (error as Error).message }, "closing a core database failed");
    });
  }

  return {
    get: (id) => runtimes.get(id),
    unavailable: () =>
      serving ? undefined : "this operator replica is a standby: the leader serves the management API",
    async ensure(id, settings) {
      const fingerprint = fingerprintOf(settings);
      const current = runtimes.get(id);
      if (current?.fingerprint === fingerprint) {
        current.service.setAuth(settings.auth);
        return current.service;
      }
      if (current) await close(id, current);
      const runtime = await open(id, settings, fingerprint);
      runtimes.set(id, runtime);
      options.logger.info({ cluster: id }, "cluster coordination started");
      return runtime.service;
    },
    async remove(id) {
      const current = runtimes.get(id);
      if (!current) return;
      await close(id, current);
      options.logger.info({ cluster: id }, "cluster coordination stopped");
    },
    ids: () => [...runtimes.keys()],
    coordination(id) {
      const runtime = runtimes.get(id);
      return runtime ? { service: runtime.service, db: runtime.db } : undefined;
    },
    setServing(next) {
      serving = next;
    },
    async closeAll() {
      await Promise.all([...runtimes].map(([id, runtime]) => close(id, runtime)));
    },
  };
}

function registryDatabase(settings: ClusterSettings): CoreDbConfig {
  return clusterStateDatabase({
    kind: "postgres",
    url: settings.coreDbUrl,
    readOnly: settings.coreDbReadOnly,
  });
}

/**
 * Where a management node keeps cluster state (nodes, what is loaded, object storages): the core
 * database, unless it is read-only (a prepared DuckDB file, a read-only PostgreSQL); then memory,
 * and work nodes register again after a restart of the management node.
 */
export function clusterStateDatabase(coreDb: CoreDbConfig): CoreDbConfig {
  return coreDb.readOnly ? { kind: "pglite", dir: "memory://", readOnly: false } : coreDb;
}

function fingerprintOf(settings: ClusterSettings): string {
  return createHash("sha256")
    .update(JSON.stringify([settings.coreDbUrl, settings.coreDbReadOnly, settings.secret]))
    .digest("hex");
}
