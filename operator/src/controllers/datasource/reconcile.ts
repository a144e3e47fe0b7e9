import type { Logger } from "@hugr/common";
import {
  CoreDbError,
  announceCoreChange,
  deleteDataSources,
  getDataSource,
  putDataSource,
  type CoreDb,
  type DataSource,
  type DataSourceInput,
} from "@hugr/coredb";
import {
  HUGR_DATA_SOURCE_RESOURCE,
  RELOAD_REQUEST_ANNOTATION,
  type HugrDataSource,
  type NodeResult,
} from "../../api/v1alpha1/index.js";
import {
  TerminalError,
  rfc3339,
  type CachedReader,
  type KubeClients,
  type ReconcileOutcome,
} from "../../kube/index.js";
import type { ClusterRuntimes, ClusterService } from "../../management-api/index.js";
import { kindOf, patchStatusAndWait, readSecretValue, setFinalizer } from "../common/resources.js";
import { toDataSourceInput } from "./definition.js";
import { claimedBy, hugrNameOf } from "./names.js";
import { buildServedStatus, clusterKeyOf, clusterNotReady, type ServedProblem } from "../common/served.js";
import { readyEvent, type ServedEventRecorder } from "../common/served-events.js";

/** A data source waiting for its cluster or a Secret is looked at again this often. */
const WAIT_RETRY_MS = 5_000;

export interface DataSourceReconcilerOptions {
  clients: Pick<KubeClients, "objects" | "core" | "customObjects">;
  /** The informers' caches: the HugrDataSources, and the Secrets they hold (common/resources.ts). */
  cache: CachedReader;
  /**
   * The HugrDataSources of a namespace, as the cache holds them: who else claims a data source's
   * name. (The watch wakes the other claimants when one changes or goes:
   * controller-manager/informers.ts.)
   */
  listDataSources: (namespace: string) => readonly HugrDataSource[];
  runtimes: ClusterRuntimes;
  recordEvent: ServedEventRecorder;
  logger: Logger;
}

/**
 * The HugrDataSource reconciler. Observe (the resource, its connection string, the row, the state on
 * each node), act (write the core-database row of its cluster when it differs, load or reload it on
 * every ready node when the definition changed or a ready node lacks it, unload it everywhere when
 * disabled), and report per-node truth in status. A load that failed on a node is an error, so the
 * work queue retries it with backoff. Deletion (finalizer) unloads it everywhere and removes the row,
 * and completes even when the cluster is gone. The data source's hugr name is spec.name, else
 * metadata.name; of two resources naming one source, the later (names.ts) is NameConflict and
 * touches nothing. Every change of the Ready condition is also an Event with the same reason.
 */
export function createDataSourceReconciler(
  options: DataSourceReconcilerOptions,
): (key: string) => Promise<ReconcileOutcome | void> {
  const { clients, cache, runtimes } = options;

  async function resolvePath(source: HugrDataSource): Promise<string | ServedProblem> {
    const { path, pathSecretRef } = source.spec;
    if (path !== undefined) return path;
    if (!pathSecretRef)
      return { reason: "InvalidDataSource", message: "neither path nor pathSecretRef is set" };
    const value = await readSecretValue(cache, clients.core, {
      namespace: source.metadata.namespace ?? "",
      ...pathSecretRef,
    });
    if (value === undefined) {
      return {
        reason: "SecretNotFound",
        message: `spec.pathSecretRef: Secret '${pathSecretRef.name}' not found`,
      };
    }
    if (value === "") {
      const message = `spec.pathSecretRef: Secret '${pathSecretRef.name}' has no key '${pathSecretRef.key}' (or it is empty)`;
      return { reason: "SecretKeyNotFound", message };
    }
    return value;
  }

  async function cleanUp(source: HugrDataSource): Promise<void> {
    const name = hugrNameOf(source);
    const coordination = runtimes.coordination(clusterKeyOf(source));
    // A resource that never served the name (NameConflict) leaves the source to the one that does.
    const claimant = claimedBy(source, options.listDataSources(source.metadata.namespace ?? ""));
    if (coordination && !claimant) {
      options.recordEvent(source, {
        type: "Normal",
        reason: "Deleting",
        message: `unloading data source '${name}' from every node and removing its row`,
        action: "Delete",
      });
      // Recorded as unloaded for nodes that join later too; nodes that are down converge at registration.
      const result = await coordination.service.unloadDataSource(name);
      if (!result.success && result.nodes.length > 0) {
        throw new Error(`while unloading data source '${name}' before deletion: ${result.message}`);
      }
      if (!coordination.db.readOnly) {
        await deleteDataSources(coordination.db, [name]);
        await announceCoreChange(coordination.db);
      }
    }
    await setFinalizer(clients.objects, HUGR_DATA_SOURCE_RESOURCE, source, false);
  }

  async function writeStatus(
    source: HugrDataSource,
    observed: {
      service: ClusterService | undefined;
      perNode: NodeResult[];
      problem: ServedProblem | undefined;
    },
  ): Promise<void> {
    const status = buildServedStatus({
      generation: source.metadata.generation ?? 0,
      nodes: observed.service?.nodes() ?? [],
      perNode: observed.perNode,
      servedState: "attached",
      off: source.spec.disabled ?? false,
      problem: observed.problem,
      now: rfc3339(new Date()),
    });
    const { served, ...rest } = status;
    const reload = reloadRequestOf(source);
    await patchStatusAndWait(
      { api: clients.customObjects, cache, type: HUGR_DATA_SOURCE_RESOURCE, logger: options.logger },
      source,
      {
        ...rest,
        loaded: served,
        ...(reload === undefined ? {} : { observedReloadRequest: reload }),
      },
    );
    const before = source.status?.conditions?.find((c) => c.type === "Ready");
    const after = rest.conditions.find((c) => c.type === "Ready");
    const event = after && readyEvent(before, after);
    if (event) options.recordEvent(source, event);
  }

  /** The row written and every ready node converged: the part that needs the cluster's coordination. */
  async function serve(
    source: HugrDataSource,
    coordination: { service: ClusterService; db: CoreDb },
  ): Promise<ReconcileOutcome | void> {
    const key = `${source.metadata.namespace ?? ""}/${source.metadata.name ?? ""}`;
    const name = hugrNameOf(source);
    const path = await resolvePath(source);
    if (typeof path !== "string") {
      await writeStatus(source, { service: coordination.service, perNode: [], problem: path });
      return { requeueAfterMs: WAIT_RETRY_MS };
    }
    const changed = await writeRowOrProblem(coordination.db, toDataSourceInput(source, path));
    if (typeof changed !== "boolean") {
      // Retrying cannot help until the resource changes (which wakes the reconcile).
      await writeStatus(source, { service: coordination.service, perNode: [], problem: changed });
      throw new TerminalError(`data source '${key}': ${changed.message}`);
    }
    const stale = mustReload(source, changed);
    const perNode = await converge(coordination.service, name, {
      disabled: source.spec.disabled ?? false,
      stale,
    });
    await writeStatus(source, { service: coordination.service, perNode, problem: undefined });
    const failed = failures(coordination.service, perNode, source.spec.disabled ?? false);
    if (failed.length > 0) throw new Error(`data source '${key}' is not served by ${failed.join("; ")}`);
  }

  return async function reconcileDataSource(key) {
    const [namespace = "", name = ""] = key.split("/");
    const source = cache.get<HugrDataSource>(kindOf(HUGR_DATA_SOURCE_RESOURCE), { namespace, name });
    if (!source) return;
    if (source.metadata.deletionTimestamp) {
      await cleanUp(source);
      return;
    }
    await setFinalizer(clients.objects, HUGR_DATA_SOURCE_RESOURCE, source, true);
    const claimant = claimedBy(source, options.listDataSources(namespace));
    if (claimant) {
      const message = `data source '${hugrNameOf(source)}' is served by HugrDataSource '${claimant.metadata.name ?? ""}', created first: this one is not applied to any node while that one exists`;
      const problem: ServedProblem = { reason: "NameConflict", message };
      await writeStatus(source, { service: undefined, perNode: [], problem });
      throw new TerminalError(`HugrDataSource '${key}': ${message}`);
    }
    const coordination = runtimes.coordination(clusterKeyOf(source));
    if (!coordination) {
      await writeStatus(source, { service: undefined, perNode: [], problem: clusterNotReady(source) });
      return { requeueAfterMs: WAIT_RETRY_MS };
    }
    return serve(source, coordination);
  };
}

/** The value of the reload-request annotation, when it is set. */
const reloadRequestOf = (source: HugrDataSource): string | undefined =>
  source.metadata.annotations?.[RELOAD_REQUEST_ANNOTATION];

/**
 * Whether every node must (re)load the source: its row or spec changed since the status was written,
 * or a reload was asked for (load_data_source) that no reconcile answered yet.
 */
function mustReload(source: HugrDataSource, rowChanged: boolean): boolean {
  const reload = reloadRequestOf(source);
  return (
    rowChanged ||
    source.status?.observedGeneration !== source.metadata.generation ||
    (reload !== undefined && reload !== source.status?.observedReloadRequest)
  );
}

/** writeRow, with a definition the core database refuses (an invalid name, say) as a problem. */
async function writeRowOrProblem(db: CoreDb, input: DataSourceInput): Promise<boolean | ServedProblem> {
  try {
    return await writeRow(db, input);
  } catch (error) {
    if (error instanceof CoreDbError && error.code === "INVALID_INPUT") {
      return { reason: "InvalidDataSource", message: error.message };
    }
    throw error;
  }
}

/** Writes the row when it differs from what the core database holds; true when it wrote. */
async function writeRow(db: CoreDb, input: DataSourceInput): Promise<boolean> {
  if (db.readOnly) return false;
  const current = await getDataSource(db, input.name);
  if (current && sameRow(current, input)) return false;
  await putDataSource(db, input);
  // Every worker drops its cached core reads now, as after a worker's own write.
  await announceCoreChange(db);
  return true;
}

function sameRow(current: DataSource, input: DataSourceInput): boolean {
  return JSON.stringify(canonicalRow(current)) === JSON.stringify(canonicalRow(input));
}

/** The fields of a row that a reconcile writes, defaults applied and catalogs sorted, for comparing. */
function canonicalRow(row: DataSource | DataSourceInput): unknown[] {
  const catalogs = [...(row.catalogs ?? [])]
    .map((c) => [c.name, c.type, c.description ?? "", c.path])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  return [
    row.type,
    row.prefix ?? "",
    row.description ?? "",
    row.path,
    row.as_module ?? false,
    row.self_defined ?? false,
    row.read_only ?? false,
    row.disabled ?? false,
    catalogs,
  ];
}

/**
 * Brings every ready node to the desired state and returns the state on each registered node. A
 * changed definition is (re)loaded everywhere; otherwise only a node that lacks it makes the
 * cluster load it (a node that joined later usually loaded it at registration already).
 */
async function converge(
  service: ClusterService,
  name: string,
  desired: { disabled: boolean; stale: boolean },
): Promise<NodeResult[]> {
  // A changed definition is applied everywhere whatever the nodes say: no need to ask them first.
  if (!desired.stale) {
    const before = await observe(service, name);
    if (converged(service, before, desired.disabled)) return before;
  }
  if (desired.disabled) {
    await service.unloadDataSource(name);
    return observe(service, name);
  }
  const result = await service.loadDataSource(name);
  const errors = new Map(result.nodes.filter((n) => !n.success).map((n) => [n.node, n.error]));
  return (await observe(service, name)).map((r) =>
    errors.has(r.node) ? { ...r, error: errors.get(r.node) } : r,
  );
}

/** Every ready node reported, and has it (enabled) or does not (disabled). */
function converged(service: ClusterService, perNode: readonly NodeResult[], disabled: boolean): boolean {
  const ready = new Set(
    service
      .nodes()
      .filter((n) => n.ready)
      .map((n) => n.name),
  );
  const onReady = perNode.filter((r) => ready.has(r.node));
  if (disabled) return onReady.every((r) => r.status !== "attached");
  return onReady.length === ready.size && onReady.every((r) => r.status === "attached");
}

/** The data source's status on every registered node (attached, detached or error). */
async function observe(service: ClusterService, name: string): Promise<NodeResult[]> {
  const { nodes } = await service.dataSourceStatus(name);
  return nodes.map((n) => ({ node: n.node, status: n.status, ...(n.error ? { error: n.error } : {}) }));
}

/** Ready nodes that do not have the desired state, with why. */
function failures(service: ClusterService, perNode: readonly NodeResult[], disabled: boolean): string[] {
  const ready = new Set(
    service
      .nodes()
      .filter((n) => n.ready)
      .map((n) => n.name),
  );
  return perNode
    .filter((r) => ready.has(r.node) && (disabled ? r.status === "attached" : r.status !== "attached"))
    .map((r) => `${r.node} (${r.error ?? r.status})`);
}
