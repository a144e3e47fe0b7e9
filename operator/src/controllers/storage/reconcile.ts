import { isDeepStrictEqual } from "node:util";
import type { Logger } from "@hugr/common";
import type { StorageSpec } from "@hugr/protocol";
import {
  HUGR_OBJECT_STORAGE_RESOURCE,
  type HugrObjectStorage,
  type NodeResult,
} from "../../api/v1alpha1/index.js";
import { rfc3339, type CachedReader, type KubeClients, type ReconcileOutcome } from "../../kube/index.js";
import type { ClusterRuntimes, ClusterService } from "../../management-api/index.js";
import { kindOf, patchStatusAndWait, readSecretValue, setFinalizer } from "../common/resources.js";
import { buildServedStatus, clusterKeyOf, clusterNotReady, type ServedProblem } from "../common/served.js";
import { readyEvent, type ServedEventRecorder } from "../common/served-events.js";

const WAIT_RETRY_MS = 5_000;

export interface StorageReconcilerOptions {
  clients: Pick<KubeClients, "objects" | "core" | "customObjects">;
  /** The informers' caches: the HugrObjectStorages, and the Secrets they hold (common/resources.ts). */
  cache: CachedReader;
  runtimes: ClusterRuntimes;
  recordEvent: ServedEventRecorder;
  logger: Logger;
}

/** The storage as nodes register it: hugr's register_object_storage arguments. */
export function toStorageSpec(
  storage: HugrObjectStorage,
  credentials: { key: string; secret: string },
): StorageSpec {
  const { spec } = storage;
  return {
    type: spec.type,
    name: storage.metadata.name ?? "",
    scope: spec.scope,
    key: credentials.key,
    secret: credentials.secret,
    region: spec.region ?? "",
    endpoint: spec.endpoint,
    useSsl: spec.useSSL ?? true,
    urlStyle: spec.urlStyle ?? "path",
    urlCompatibility: spec.urlCompatibility ?? false,
    kmsKeyId: spec.kmsKeyID ?? "",
    accountId: spec.accountID ?? "",
  };
}

/**
 * The HugrObjectStorage reconciler: reads the credentials from their Secret (never written to
 * status, Events or logs), registers the storage on every ready node when it changed or a ready node
 * lacks it, and reports per-node state. Deletion (finalizer) unregisters it everywhere. Every
 * change of the Ready condition is also an Event with the same reason.
 */
export function createStorageReconciler(
  options: StorageReconcilerOptions,
): (key: string) => Promise<ReconcileOutcome | void> {
  const { clients, cache, runtimes } = options;

  async function credentialsOf(
    storage: HugrObjectStorage,
  ): Promise<{ key: string; secret: string } | ServedProblem> {
    const ref = storage.spec.credentialsSecretRef;
    const namespace = storage.metadata.namespace ?? "";
    const read = (key: string): Promise<string | undefined> =>
      readSecretValue(cache, clients.core, { namespace, name: ref.name, key });
    const [key, secret] = await Promise.all([read(ref.keyIDKey), read(ref.secretKey)]);
    if (key === undefined || secret === undefined) {
      return {
        reason: "SecretNotFound",
        message: `spec.credentialsSecretRef: Secret '${ref.name}' not found`,
      };
    }
    const missing = [key === "" ? ref.keyIDKey : "", secret === "" ? ref.secretKey : ""].filter(Boolean);
    if (missing.length > 0) {
      const message = `spec.credentialsSecretRef: Secret '${ref.name}' has no key ${missing.map((k) => `'${k}'`).join(" or ")} (or it is empty)`;
      return { reason: "SecretKeyNotFound", message };
    }
    return { key, secret };
  }

  async function writeStatus(
    storage: HugrObjectStorage,
    observed: {
      service: ClusterService | undefined;
      perNode: NodeResult[];
      problem: ServedProblem | undefined;
    },
  ): Promise<void> {
    const { served, ...rest } = buildServedStatus({
      generation: storage.metadata.generation ?? 0,
      nodes: observed.service?.nodes() ?? [],
      perNode: observed.perNode,
      servedState: "registered",
      off: false,
      problem: observed.problem,
      now: rfc3339(new Date()),
    });
    await patchStatusAndWait(
      { api: clients.customObjects, cache, type: HUGR_OBJECT_STORAGE_RESOURCE, logger: options.logger },
      storage,
      { ...rest, registered: served },
    );
    const before = storage.status?.conditions?.find((c) => c.type === "Ready");
    const after = rest.conditions.find((c) => c.type === "Ready");
    const event = after && readyEvent(before, after);
    if (event) options.recordEvent(storage, event);
  }

  async function cleanUp(storage: HugrObjectStorage): Promise<void> {
    const coordination = runtimes.coordination(clusterKeyOf(storage));
    if (coordination) {
      const name = storage.metadata.name ?? "";
      options.recordEvent(storage, {
        type: "Normal",
        reason: "Deleting",
        message: `unregistering storage '${name}' from every node`,
        action: "Delete",
      });
      const result = await coordination.service.unregisterStorage(name);
      if (!result.success && result.nodes.length > 0) {
        throw new Error(`while unregistering storage '${name}' before deletion: ${result.message}`);
      }
    }
    await setFinalizer(clients.objects, HUGR_OBJECT_STORAGE_RESOURCE, storage, false);
  }

  return async function reconcileStorage(key) {
    const [namespace = "", name = ""] = key.split("/");
    const storage = cache.get<HugrObjectStorage>(kindOf(HUGR_OBJECT_STORAGE_RESOURCE), { namespace, name });
    if (!storage) return;
    if (storage.metadata.deletionTimestamp) {
      await cleanUp(storage);
      return;
    }
    await setFinalizer(clients.objects, HUGR_OBJECT_STORAGE_RESOURCE, storage, true);
    const coordination = runtimes.coordination(clusterKeyOf(storage));
    if (!coordination) {
      await writeStatus(storage, { service: undefined, perNode: [], problem: clusterNotReady(storage) });
      return { requeueAfterMs: WAIT_RETRY_MS };
    }
    const credentials = await credentialsOf(storage);
    if ("reason" in credentials) {
      await writeStatus(storage, { service: coordination.service, perNode: [], problem: credentials });
      return { requeueAfterMs: WAIT_RETRY_MS };
    }
    const { service } = coordination;
    const spec = toStorageSpec(storage, credentials);
    let perNode = await observe(service, name);
    const ready = service
      .nodes()
      .filter((n) => n.ready)
      .map((n) => n.name);
    const lacking = ready.filter(
      (node) => !perNode.some((r) => r.node === node && r.status === "registered"),
    );
    if (!isDeepStrictEqual(service.desiredStorage(name), spec) || lacking.length > 0) {
      const result = await service.registerStorage(spec);
      const errors = new Map(result.nodes.filter((n) => !n.success).map((n) => [n.node, n.error]));
      perNode = (await observe(service, name)).map((r) =>
        errors.has(r.node) ? { ...r, status: "failed", error: errors.get(r.node) } : r,
      );
    }
    await writeStatus(storage, { service, perNode, problem: undefined });
    const failed = perNode.filter((r) => ready.includes(r.node) && r.status !== "registered");
    if (failed.length > 0) {
      throw new Error(`storage '${key}' is not registered on ${failed.map((r) => r.node).join(", ")}`);
    }
  };
}

/** The storage's state on every ready node: registered when the node lists it. */
async function observe(service: ClusterService, name: string): Promise<NodeResult[]> {
  const ready = service
    .nodes()
    .filter((n) => n.ready)
    .map((n) => n.name);
  const { storages } = await service.storages();
  return ready.map((node) => ({
    node,
    status: storages.some((s) => s.node === node && s.name === name) ? "registered" : "unregistered",
  }));
}
