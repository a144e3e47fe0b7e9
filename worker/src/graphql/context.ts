import type { Logger } from "@hugr/common";
import type { CoreDb } from "@hugr/coredb";
import type { ManagementClient } from "@hugr/protocol";
import type { DataSourceRuntime } from "../datasources/index.js";
import type { StorageRegistry } from "../storages/index.js";

/** What every resolver can reach. Built once per node; requests share it. */
export interface GraphQLContext {
  db: CoreDb;
  dataSources: DataSourceRuntime;
  storages: StorageRegistry;
  /** The management node, in cluster mode (CLUSTER_MANAGEMENT_URL set); undefined on a single node. */
  management: ManagementClient | undefined;
  logger: Logger;
}
