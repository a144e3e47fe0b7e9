import type { CoreDb } from "@hugr/coredb";
import type { DataSourceRuntime } from "../datasources/index.js";

/** What every resolver can reach. Built once per node; requests share it. */
export interface GraphQLContext {
  db: CoreDb;
  dataSources: DataSourceRuntime;
}
