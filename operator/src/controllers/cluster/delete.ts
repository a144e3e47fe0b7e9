import type { Logger } from "@hugr/common";
import { openCoreDb, type CoreDb } from "@hugr/coredb";
import { HUGR_CLUSTER_RESOURCE, type HugrCluster } from "../../api/v1alpha1/index.js";
import { errorSummary, type CachedReader, type KubeClients } from "../../kube/index.js";
import { forgetClusterNodes, type ClusterRuntimes } from "../../management-api/index.js";
import { readSecretValue, setFinalizer } from "../common/resources.js";
import type { ClusterReason } from "./conditions.js";
import type { ClusterEventRecorder } from "./reconcile.js";

/** How long the deletion waits for the core database to answer before it gives up on the rows. */
const CONNECT_TIMEOUT_MS = 5_000;

export interface ClusterDeletionOptions {
  clients: Pick<KubeClients, "objects" | "core">;
  cache: CachedReader;
  runtimes: ClusterRuntimes;
  recordEvent: ClusterEventRecorder;
  logger: Logger;
}

/** Why the rows could not be removed. */
interface Leftover {
  reason: Extract<ClusterReason, "SecretNotFound" | "SecretKeyNotFound" | "CoreDatabaseUnreachable">;
  message: string;
}

/**
 * The deletion of a HugrCluster (its finalizer): the rendered objects go with their owner (garbage
 * collection); the operator stops the cluster's coordination and removes its nodes' rows from the
 * core database's `cluster_nodes`, which would otherwise outlive it. The coordination stops first:
 * closing its pool waits for its last write, so no heartbeat re-inserts a row after the delete.
 *
 * The finalizer never waits on the database: when the rows cannot be removed (the Secret with its
 * URL is gone, the database is down or being deleted with the namespace), the deletion completes
 * anyway with a Warning Event that says so. Rows left behind are harmless: they name a cluster that
 * no longer exists, and a cluster created again under that name removes nodes that never come back
 * after NODE_REMOVE_AFTER.
 */
export function createClusterDeletion(
  options: ClusterDeletionOptions,
): (cluster: HugrCluster) => Promise<void> {
  const { clients, cache, runtimes, logger } = options;

  /** The cluster's core database URL, or why it cannot be had. */
  async function coreDbUrl(cluster: HugrCluster): Promise<string | Leftover> {
    const ref = cluster.spec.coreDB.urlSecretRef;
    const field = "spec.coreDB.urlSecretRef";
    const value = await readSecretValue(cache, clients.core, {
      namespace: cluster.metadata.namespace ?? "",
      ...ref,
    });
    if (value === undefined) {
      return { reason: "SecretNotFound", message: `${field}: Secret '${ref.name}' not found` };
    }
    if (value === "") {
      const message = `${field}: Secret '${ref.name}' has no key '${ref.key}' (or it is empty)`;
      return { reason: "SecretKeyNotFound", message };
    }
    return value;
  }

  /** Removes the cluster's rows; resolves with the nodes removed, or why it could not. */
  async function forgetNodes(cluster: HugrCluster, id: string): Promise<string[] | Leftover> {
    // A read-only core database kept the registry in memory (management-api/clusters.ts): it is gone.
    if (cluster.spec.coreDB.readOnly) return [];
    const url = await coreDbUrl(cluster);
    if (typeof url !== "string") return url;
    let db: CoreDb | undefined;
    try {
      db = await openCoreDb(
        { kind: "postgres", url, readOnly: false },
        { logger: logger.child({ cluster: id }), connectTimeoutMs: CONNECT_TIMEOUT_MS },
      );
      return await forgetClusterNodes(db, id);
    } catch (error) {
      return {
        reason: "CoreDatabaseUnreachable",
        message: `the cluster's core database: ${errorSummary(error).error}`,
      };
    } finally {
      await db?.close().catch(() => undefined);
    }
  }

  return async function deleteCluster(cluster) {
    const id = `${cluster.metadata.namespace ?? ""}/${cluster.metadata.name ?? ""}`;
    await runtimes.remove(id);
    const forgotten = await forgetNodes(cluster, id);
    if (Array.isArray(forgotten)) {
      logger.info({ cluster: id, nodes: forgotten }, "cluster deleted: its nodes removed from cluster_nodes");
    } else {
      const message = `deleted, but its nodes stay in the core database's cluster_nodes: ${forgotten.message}`;
      logger.warn({ cluster: id, reason: forgotten.reason }, message);
      options.recordEvent(cluster, { type: "Warning", reason: forgotten.reason, message, action: "Delete" });
    }
    await setFinalizer(clients.objects, HUGR_CLUSTER_RESOURCE, cluster, false);
  };
}
