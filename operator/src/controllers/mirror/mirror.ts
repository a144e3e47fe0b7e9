import { carriesSecret } from "@hugr/common";
import { PatchStrategy, type KubernetesObject } from "@kubernetes/client-node";
import type { ClusterOperationResult, DataSourceDefinition, StorageSpec } from "@hugr/protocol";
import type { HugrDataSource, NodeResult } from "../../api/v1alpha1/index.js";
import {
  API_VERSION,
  HUGR_DATA_SOURCE_KIND,
  HUGR_DATA_SOURCE_RESOURCE,
  HUGR_OBJECT_STORAGE_KIND,
  HUGR_OBJECT_STORAGE_RESOURCE,
} from "../../api/v1alpha1/index.js";
import { isNotFound, statusCode, type CustomResourceType, type KubeClients } from "../../kube/index.js";
import { OperationRefused } from "../../management/index.js";
import { readResource } from "../common/resources.js";
import { DSN_SECRET_KEY, dsnSecretName, specFromDefinition } from "../datasource/definition.js";

/**
 * The field manager of changes made through GraphQL. Never forced: when GitOps or kubectl owns a
 * field with another value, the apiserver refuses the change (409) and the GraphQL caller learns who
 * owns what, instead of the two fighting over it.
 */
export const GRAPHQL_FIELD_MANAGER = "hugr-graphql";

/** The cluster operations a managed cluster's nodes ask for, done by changing custom resources. */
export interface ClusterMirror {
  putDataSource(definition: DataSourceDefinition): Promise<ClusterOperationResult>;
  deleteDataSource(name: string): Promise<ClusterOperationResult>;
  loadDataSource(name: string): Promise<ClusterOperationResult>;
  unloadDataSource(name: string): Promise<ClusterOperationResult>;
  registerStorage(spec: StorageSpec): Promise<ClusterOperationResult>;
  unregisterStorage(name: string): Promise<ClusterOperationResult>;
}

export interface MirrorOptions {
  clients: Pick<KubeClients, "objects" | "customObjects">;
  cluster: { namespace: string; name: string };
  /** How long to wait for the reconcile a change caused. */
  timeoutMs: number;
}

interface Served {
  metadata: { generation?: number; uid?: string };
  status?: {
    observedGeneration?: number;
    nodes?: NodeResult[];
    conditions?: { type: string; status: string; message: string; observedGeneration?: number }[];
  };
}

const POLL_MS = 100;

/**
 * GraphQL → custom resources, for one cluster. Each change is a server-side apply (or a delete),
 * then a wait for the reconcile it caused; the answer is that reconcile's result as the status says
 * it. A connection string with a password, and storage credentials, go into a Secret the resource
 * owns; the resource only references it.
 */
export function createClusterMirror(options: MirrorOptions): ClusterMirror {
  const { clients, cluster, timeoutMs } = options;
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
  ): Promise<ClusterOperationResult> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const resource = await readResource<Served>(clients.customObjects, type, { namespace, name });
      const result = resource ? reconciledResult(resource, generation) : undefined;
      if (result) return result;
      if (Date.now() > deadline) {
        throw new OperationRefused(
          "RECONCILE_TIMEOUT",
          `${type.kind} '${name}' was changed, but its reconcile did not finish within ${timeoutMs} ms`,
        );
      }
      await sleep(POLL_MS);
    }
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
    const deadline = Date.now() + timeoutMs;
    while (await readResource(clients.customObjects, type, { namespace, name })) {
      if (Date.now() > deadline) {
        throw new OperationRefused(
          "RECONCILE_TIMEOUT",
          `${type.kind} '${name}' is being deleted, but its clean-up did not finish within ${timeoutMs} ms`,
        );
      }
      await sleep(POLL_MS);
    }
    return { success: true, message: `${type.kind} '${name}' deleted: removed from every node`, nodes: [] };
  }

  async function setDisabled(name: string, disabled: boolean): Promise<ClusterOperationResult> {
    const current = await readResource<HugrDataSource>(clients.customObjects, HUGR_DATA_SOURCE_RESOURCE, {
      namespace,
      name,
    });
    if (!current) {
      throw new OperationRefused(
        "NOT_FOUND",
        `no ${HUGR_DATA_SOURCE_KIND} '${name}' in namespace '${namespace}'`,
      );
    }
    // The whole spec, as it is, with the new flag: server-side apply removes fields its applier set
    // before and now leaves out, so a partial apply would delete what an insert through GraphQL set.
    const applied = await apply({
      apiVersion: API_VERSION,
      kind: HUGR_DATA_SOURCE_KIND,
      metadata: { name, namespace },
      spec: { ...current.spec, disabled },
    });
    return waitReconciled(HUGR_DATA_SOURCE_RESOURCE, name, applied.metadata?.generation ?? 0);
  }

  return {
    async putDataSource(definition) {
      const { name } = definition;
      const secret = carriesSecret(definition.path);
      if (secret) await applySecret(dsnSecretName(name), { [DSN_SECRET_KEY]: definition.path });
      const spec = specFromDefinition(definition, cluster.name);
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
    deleteDataSource: (name) => removeAndWait(HUGR_DATA_SOURCE_RESOURCE, name),
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

/** The result of the reconcile of `generation`, once the status reports it; else undefined. */
function reconciledResult(resource: Served, generation: number): ClusterOperationResult | undefined {
  const status = resource.status ?? {};
  const ready = status.conditions?.find((c) => c.type === "Ready");
  const observed = Math.min(status.observedGeneration ?? -1, ready?.observedGeneration ?? -1);
  if (!ready || observed < generation) return undefined;
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

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
