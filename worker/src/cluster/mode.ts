import type { Logger } from "@hugr/common";
import { readOnlyError, type CoreDb } from "@hugr/coredb";
import { ProtocolError, type ManagementClient, type NodeClusterConfig } from "@hugr/protocol";
import { createDirectWriter, type DataSourceRuntime, type DataSourceWriter } from "../data-sources/index.js";
import { createManagedWriter } from "./managed-writer.js";

/**
 * Who owns the cluster's data sources, as the management node's last configuration said:
 * "standalone" (the nodes write the core database, as in hugr), "kubernetes" (the custom resources
 * do, through the operator), or "pending" before the first configuration arrived.
 */
export type ClusterManagement = "pending" | "standalone" | "kubernetes";

/** The node's knowledge of its cluster's management; the agent updates it with every configuration. */
export interface ClusterMode {
  current(): ClusterManagement;
  update(config: Pick<NodeClusterConfig, "managed">): void;
}

export function createClusterMode(): ClusterMode {
  let current: ClusterManagement = "pending";
  return {
    current: () => current,
    update: (config) => {
      // Any mark of management counts: writing directly to a managed cluster's database is the one
      // mistake this must never make.
      current = config.managed ? "kubernetes" : "standalone";
    },
  };
}

export interface ClusterWriterOptions {
  mode: ClusterMode;
  db: CoreDb;
  runtime: DataSourceRuntime;
  /** The operations client of the management API. */
  management: ManagementClient;
  logger: Logger;
}

/**
 * The data source writer of a cluster node, for the mode of the moment: call it once per request,
 * since any heartbeat can change the mode. Until the first configuration arrives a node cannot
 * know whether it may write the core database, so writes are refused (retry once it is ready).
 */
export function clusterDataSourceWriter(options: ClusterWriterOptions): () => DataSourceWriter {
  const { db, runtime, management, logger } = options;
  const writers: Record<ClusterManagement, DataSourceWriter> = {
    standalone: createDirectWriter({ db, runtime, management, logger }),
    kubernetes: createManagedWriter({ db, runtime, management, logger }),
    pending: createPendingWriter(db),
  };
  return () => writers[options.mode.current()];
}

/** Refuses every write, read-only refusal first as everywhere, with MANAGEMENT_UNAVAILABLE. */
function createPendingWriter(db: CoreDb): DataSourceWriter {
  const refuse = (): Promise<never> => {
    if (db.readOnly) return Promise.reject(readOnlyError());
    return Promise.reject(
      new ProtocolError(
        "UNAVAILABLE",
        "this node has not received its cluster configuration yet: data sources can be changed once it is ready",
      ),
    );
  };
  return { insert: refuse, update: refuse, delete: refuse };
}
