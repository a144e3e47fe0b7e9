import { readOnlyError } from "./errors.js";
import type { CoreDb } from "./types.js";

/**
 * Deletes every `cluster_nodes` row of `cluster` (the registry of one cluster's work nodes) and
 * resolves with the names removed. A management node calls it when the cluster itself is gone: the
 * rows would otherwise outlive it, and a cluster created later under the same id would start from
 * nodes that no longer exist.
 */
export async function deleteClusterNodes(db: CoreDb, cluster: string): Promise<string[]> {
  if (db.readOnly) throw readOnlyError();
  const rows = await db.query<{ name: string }>(
    "DELETE FROM cluster_nodes WHERE cluster = $1 RETURNING name",
    [cluster],
  );
  return rows.map((r) => r.name).sort();
}
