import type { Logger } from "@hugr/common";
import {
  deleteDataSources,
  insertDataSource,
  updateDataSources,
  type CoreDb,
  type DataSource,
  type DataSourceInput,
  type DataSourcePatch,
} from "@hugr/coredb";
import type { ManagementClient } from "@hugr/protocol";
import type { DataSourceRuntime } from "./runtime.js";

/**
 * How `core { insert_data_sources, update_data_sources, delete_data_sources }` change data sources.
 * Every implementation validates alike and fails alike (CoreDbError, ProtocolError), and
 * returns rows as the core database holds them, with their catalogs. Which one serves a request
 * depends on who owns the data sources: this node (see {@link createDirectWriter}) or the custom
 * resources of a Kubernetes-managed cluster (cluster/managed-writer.ts).
 */
export interface DataSourceWriter {
  /** Adds a data source and its catalogs; returns the stored row. */
  insert(input: DataSourceInput): Promise<DataSource>;
  /**
   * Changes the named data sources (the query engine found them by the mutation's filter); returns
   * them as changed.
   */
  update(names: readonly string[], patch: DataSourcePatch): Promise<DataSource[]>;
  /** Deletes the named data sources; returns them as they were. */
  delete(names: readonly string[]): Promise<DataSource[]>;
}

export interface DirectWriterOptions {
  db: CoreDb;
  /** The node's attached sources: a deleted source is detached here at once. */
  runtime: DataSourceRuntime;
  /**
   * Cluster mode: the management node, told to unload what was inserted or deleted so every node
   * agrees. Undefined on a single node.
   */
  management: ManagementClient | undefined;
  logger: Logger;
}

/**
 * Writes the core database itself, as hugr does on a single node and in a standalone cluster. The
 * write is committed first; the cluster is told afterwards and cannot undo it.
 */
export function createDirectWriter(options: DirectWriterOptions): DataSourceWriter {
  const { db, runtime } = options;
  return {
    async insert(input) {
      const inserted = await insertDataSource(db, input);
      // In a cluster, a new source stays unloaded everywhere (also on nodes that join later)
      // until load_data_source, as the reference describes.
      await tellCluster(options, inserted.name);
      return inserted;
    },
    update: (names, patch) => updateDataSources(db, names, patch),
    async delete(names) {
      const deleted = await deleteDataSources(db, names);
      for (const source of deleted) {
        await runtime.forget(source.name);
        await tellCluster(options, source.name);
      }
      return deleted;
    },
  };
}

/**
 * Keeps the cluster in step with a change the core database already committed. The change stands
 * whatever the management node answers, so a failure is logged, not returned as the mutation's error.
 */
async function tellCluster(options: DirectWriterOptions, name: string): Promise<void> {
  const { management, logger } = options;
  if (!management) return;
  try {
    const result = await management.unloadDataSource(name);
    if (!result.success)
      logger.warn({ dataSource: name, message: result.message }, "cluster unload incomplete");
  } catch (error) {
    logger.warn({ dataSource: name, err: (error as Error).message }, "could not reach the management node");
  }
}
