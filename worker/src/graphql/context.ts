import type { Logger } from "@hugr/common";
import type { CoreDb } from "@hugr/coredb";
import type { ManagementClient } from "@hugr/protocol";
import type { Identity, RolePermissions } from "../auth/index.js";
import type { DataSourceRuntime, DataSourceWriter } from "../data-sources/index.js";
import type { SourceEngine, SourceRequestContext } from "../engine/index.js";
import type { StorageRegistry } from "../storages/index.js";

/** What every resolver can reach. Built for each request, mostly from parts the node's requests share. */
export interface GraphQLContext extends SourceRequestContext {
  db: CoreDb;
  /** The core database as the query engine runs the core module's tables on it. */
  coreEngine: SourceEngine;
  dataSources: DataSourceRuntime;
  /**
   * How insert/update/delete_data_sources write: the core database directly, or through the
   * management node when a Kubernetes operator owns the data sources. Chosen for each request,
   * because the management node can change it at any heartbeat.
   */
  dataSourceWriter: DataSourceWriter;
  storages: StorageRegistry;
  /** The management node, in cluster mode (CLUSTER_MANAGEMENT_URL set); undefined on a single node. */
  management: ManagementClient | undefined;
  logger: Logger;
  /** Who asks (the provider chain's answer). */
  identity: Identity;
  /** What the asker's role may do; `access` (SourceRequestContext) is the engine's view of it. */
  permissions: RolePermissions;
}
