import { carriesSecret } from "@hugr/common";
import { PatchStrategy, type KubernetesObject } from "@kubernetes/client-node";
import type { ClusterOperationResult, ClusterOperations } from "@hugr/protocol";
import type { HugrDataSource, NodeResult } from "../api/v1alpha1/index.js";
import {
  API_VERSION,
  HUGR_DATA_SOURCE_KIND,
  HUGR_DATA_SOURCE_RESOURCE,
  HUGR_OBJECT_STORAGE_KIND,
  HUGR_OBJECT_STORAGE_RESOURCE,
  RELOAD_REQUEST_ANNOTATION,
} from "../api/v1alpha1/index.js";
import {
  isNotFound,
  statusCode,
  type CachedReader,
  type CustomResourceType,
  type KubeClients,
} from "../kube/index.js";
import { OperationRefused } from "../management-api/index.js";
import { kindOf } from "../controllers/common/resources.js";
import { DSN_SECRET_KEY, dsnSecretName, specFromDefinition } from "../controllers/datasource/definition.js";
import { findDataSource } from "../controllers/datasource/find.js";
import { resourceNameFor } from "../controllers/datasource/names.js";

/**
 * The field manager of changes made through GraphQL. Never forced: when GitOps or kubectl owns a
 * field with another value, the apiserver refuses the change (409) and the GraphQL caller learns who
 * owns what, instead of the two fighting over it.
 */
export const GRAPHQL_FIELD_MANAGER = "hugr-graphql";

/** The cluster operations a managed cluster's nodes ask for, done by changing custom resources. */
export type ClusterMirror = ClusterOperations;

export interface MirrorOptions {
  clients: Pick<KubeClients, "objects" | "customObjects">;
  /** The informers' caches, whose watch tells when a reconcile has written its status. */
  cache: CachedReader;
  cluster: { namespace: string; name: string };
  /** How long to wait for the reconcile a change caused. */
  timeoutMs: number;
}

interface Served {
  metadata: { generation?: number; uid?: string };
  status?: {
    observedGeneration?: number;
    observedReloadRequest?: string;
    nodes?: NodeResult[];
    conditions?: { type: string; status: string; message: string; observedGeneration?: number }[];
  };
}

/**
 * GraphQL → custom resources, for one cluster. Each change is a server-side apply (or a delete),
 * then a wait for the reconcile it caused, on the watch of the operator's cache (no polling); the
 * answer is that reconcile's result as the status says it. A connection string with a password,
 * and storage credentials, go into a Secret the resource owns; the resource only references it.
 */
export function createClusterMirror(options: MirrorOptions): ClusterMirror {
  const { clients, cache, cluster, timeoutMs } = options;
  const namespace = cluster.namespace;

  /** An object to apply: apiVersion, kind, metadata and its content (spec, data). */
  async function apply(
    object: KubernetesObject & Record<string, unknown>,
    force = false,
  ): Promise<KubernetesObject> {
    try {
      return await clients.objects.patch(
        object,
        undefined,
        undefined,
        GRAPHQL_FIELD_MANAGER,
        force,
        PatchStrategy.ServerSideApply,
      );
    } catch (error) {
      throw translate(error, object);
    }
  }

  /** Writes a Secret for a resource; owned by it once the resource exists (`owner`). */
  async function applySecret(
    name: string,
    data: Record<string, string>,
    owner?: { kind: string; name: string; uid: string },
  ): Promise<void> {
    const encoded = Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, Buffer.from(v, "utf8").toString("base64")]),
    );
    const ownerReferences = owner
      ? [{ apiVersion: API_VERSION, ...owner, controller: true, blockOwnerDeletion: true }]
      : undefined;
    await apply(
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name, namespace, ...(ownerReferences ? { ownerReferences } : {}) },
        type: "Opaque",
        data: encoded,
      },
      true,
    );
  }

  async function waitReconciled(
    type: CustomResourceType,
    name: string,
    generation: number,
    reload?: string,
  ): Promise<ClusterOperationResult> {
    const reconciled = await cache.waitFor<Served>(
      kindOf(type),
      { namespace, name },
      (resource) => resource !== undefined && reconciledResult(resource, generation, reload) !== undefined,
      timeoutMs,
    );
    const result =
      reconciled.met && reconciled.object && reconciledResult(reconciled.object, generation, reload);
    if (result) return result;
    throw new OperationRefused(
      "RECONCILE_TIMEOUT",
      `${type.kind} '${name}' was changed, but its reconcile did not finish within ${timeoutMs} ms`,
    );
  }

  async function removeAndWait(type: CustomResourceType, name: string): Promise<ClusterOperationResult> {
    try {
      await clients.objects.delete({
        apiVersion: API_VERSION,
        kind: type.kind,
        metadata: { name, namespace },
      });
    } catch (error) {
      if (isNotFound(error))
        throw new OperationRefused("NOT_FOUND", `no ${type.kind} '${name}' in namespace '${namespace}'`);
      throw error;
    }
    // Gone from the cache once the watch delivers the deletion: after the clean-up removed the
    // finalizer. The finalizer is added by a reconcile that read the resource from this same cache,
    // so a resource with clean-up to wait for cannot be missing from it for being too new.
    const gone = await cache.waitFor(kindOf(type), { namespace, name }, (r) => r === undefined, timeoutMs);
    if (!gone.met) {
      throw new OperationRefused(
        "RECONCILE_TIMEOUT",
        `${type.kind} '${name}' is being deleted, but its clean-up did not finish within ${timeoutMs} ms`,
      );
    }
    return { success: true, message: `${type.kind} '${name}' deleted: removed from every node`, nodes: [] };
  }

  /** The resource serving the hugr data source `name`, from the API (its spec is applied back whole). */
  async function dataSourceNamed(name: string): Promise<HugrDataSource> {
    const found = await findDataSource(clients.customObjects, { namespace, cluster: cluster.name, name });
    if (found) return found;
    throw new OperationRefused(
      "NOT_FOUND",
      `no ${HUGR_DATA_SOURCE_KIND} of cluster '${cluster.name}' in namespace '${namespace}' serves the data source '${name}'`,
    );
  }

  /**
   * Sets spec.disabled. Loading also sets the annotation RELOAD_REQUEST_ANNOTATION to the time of
   * the call, so the nodes reload the source even when nothing in it changed (its catalog files did,
   * say), as load_data_source does standalone; the answer waits for the reconcile that reloaded.
   */
  async function setDisabled(name: string, disabled: boolean): Promise<ClusterOperationResult> {
    const current = await dataSourceNamed(name);
    const resourceName = current.metadata.name ?? "";
    const reload = disabled ? undefined : new Date().toISOString();
    // The whole spec, as it is, with the new flag: server-side apply removes fields its applier set
    // before and now leaves out, so a partial apply would delete what an insert through GraphQL set.
    const applied = await apply({
      apiVersion: API_VERSION,
      kind: HUGR_DATA_SOURCE_KIND,
      metadata: {
        name: resourceName,
        namespace,
        ...(reload ? { annotations: { [RELOAD_REQUEST_ANNOTATION]: reload } } : {}),
      },
      spec: { ...current.spec, disabled },
    });
    return waitReconciled(HUGR_DATA_SOURCE_RESOURCE, resourceName, applied.metadata?.generation ?? 0, reload);
  }

  return {
    async putDataSource(definition) {
      // An update goes to the resource that serves the name, whatever its metadata.name; an insert
      // makes one whose metadata.name is derived from the hugr name (web_analytics is no valid one).
      const existing = await findDataSource(clients.customObjects, {
        namespace,
        cluster: cluster.name,
        name: definition.name,
      });
      const name = existing?.metadata.name ?? resourceNameFor(definition.name);
      const secret = carriesSecret(definition.path);
      if (secret) await applySecret(dsnSecretName(name), { [DSN_SECRET_KEY]: definition.path });
      const spec = specFromDefinition(definition, { cluster: cluster.name, name });
      const applied = await apply({
        apiVersion: API_VERSION,
        kind: HUGR_DATA_SOURCE_KIND,
        metadata: { name, namespace },
        spec,
      });
      const uid = applied.metadata?.uid ?? "";
      if (secret)
        await applySecret(
          dsnSecretName(name),
          { [DSN_SECRET_KEY]: definition.path },
          { kind: HUGR_DATA_SOURCE_KIND, name, uid },
        );
      return waitReconciled(HUGR_DATA_SOURCE_RESOURCE, name, applied.metadata?.generation ?? 0);
    },
    deleteDataSource: async (name) =>
      removeAndWait(HUGR_DATA_SOURCE_RESOURCE, (await dataSourceNamed(name)).metadata.name ?? ""),
    loadDataSource: (name) => setDisabled(name, false),
    unloadDataSource: (name) => setDisabled(name, true),
    async registerStorage(storage) {
      const { name } = storage;
      const secretName = `${name}-credentials`;
      const credentials = { key: storage.key, secret: storage.secret };
      await applySecret(secretName, credentials);
      const spec = {
        clusterRef: { name: cluster.name },
        type: storage.type,
        scope: storage.scope,
        endpoint: storage.endpoint,
        ...(storage.region ? { region: storage.region } : {}),
        useSSL: storage.useSsl,
        urlStyle: storage.urlStyle,
        urlCompatibility: storage.urlCompatibility,
        ...(storage.kmsKeyId ? { kmsKeyID: storage.kmsKeyId } : {}),
        ...(storage.accountId ? { accountID: storage.accountId } : {}),
        credentialsSecretRef: { name: secretName, keyIDKey: "key", secretKey: "secret" },
      };
      const applied = await apply({
        apiVersion: API_VERSION,
        kind: HUGR_OBJECT_STORAGE_KIND,
        metadata: { name, namespace },
        spec,
      });
      await applySecret(secretName, credentials, {
        kind: HUGR_OBJECT_STORAGE_KIND,
        name,
        uid: applied.metadata?.uid ?? "",
      });
      return waitReconciled(HUGR_OBJECT_STORAGE_RESOURCE, name, applied.metadata?.generation ?? 0);
    },
    unregisterStorage: (name) => removeAndWait(HUGR_OBJECT_STORAGE_RESOURCE, name),
  };
}

/**
 * The result of the reconcile of `generation` (and of the reload request `reload`, when given), once
 * the status reports it; else undefined.
 */
function reconciledResult(
  resource: Served,
  generation: number,
  reload?: string,
): ClusterOperationResult | undefined {
  const status = resource.status ?? {};
  const ready = status.conditions?.find((c) => c.type === "Ready");
  const observed = Math.min(status.observedGeneration ?? -1, ready?.observedGeneration ?? -1);
  if (!ready || observed < generation) return undefined;
  if (reload !== undefined && status.observedReloadRequest !== reload) return undefined;
  return resultOf(ready.status === "True", ready.message, status.nodes ?? []);
}

function resultOf(success: boolean, message: string, nodes: readonly NodeResult[]): ClusterOperationResult {
  return {
    success,
    message,
    nodes: nodes.map((n) => ({
      node: n.node,
      success: n.status === "attached" || n.status === "registered",
      error: n.error ?? "",
      durationMs: 0,
    })),
  };
}

/**
 * The apiserver's refusal as the management API's error: 409 from an apply is a conflict with
 * another field manager (its message names the fields and the manager), 422 a schema or CEL refusal.
 * Only the Status message is kept: the request (and a Secret's data) never reaches a message.
 */
function translate(error: unknown, object: KubernetesObject): unknown {
  const code = statusCode(error);
  if (code !== 409 && code !== 422) return error;
  const what = `${object.kind} '${object.metadata?.name ?? ""}'`;
  const detail = statusMessage(error);
  return code === 409
    ? new OperationRefused(
        "CONFLICT",
        `${what}: the change conflicts with a field managed by someone else: ${detail}`,
      )
    : new OperationRefused("INVALID", `${what}: ${detail}`);
}

function statusMessage(error: unknown): string {
  let body = (error as { body?: unknown }).body;
  if (typeof body === "string") {
    try {
      body = JSON.parse(body);
    } catch {
      return "refused by the apiserver";
    }
  }
  const message = (body as { message?: unknown } | undefined)?.message;
  return typeof message === "string" ? message : "refused by the apiserver";
}
