import type { NodeClusterConfig } from "@hugr/protocol";
import type { DataSourceRuntime } from "../data-sources/index.js";
import type { StorageRegistry } from "../storages/index.js";

export interface ClusterTargets {
  dataSources: DataSourceRuntime;
  storages: StorageRegistry;
}

/**
 * Converges the node to the cluster configuration. At registration (`initial`) a node loads every
 * enabled data source except those the cluster unloaded, as a single node does at start; later
 * applications only act on what the cluster loaded or unloaded explicitly. Storages are replaced
 * as a whole. Idempotent: applying the same configuration twice changes nothing.
 */
export async function applyClusterConfig(
  config: NodeClusterConfig,
  targets: ClusterTargets,
  initial: boolean,
): Promise<void> {
  const wanted = new Set(config.storages.map((s) => s.name));
  for (const name of targets.storages.names()) if (!wanted.has(name)) targets.storages.remove(name);
  for (const spec of config.storages) targets.storages.put(spec);

  if (initial) await targets.dataSources.loadAllEnabled({ except: config.dataSources.unloaded });
  await targets.dataSources.ensureDetached(config.dataSources.unloaded);
  await targets.dataSources.ensureAttached(config.dataSources.loaded);
}
