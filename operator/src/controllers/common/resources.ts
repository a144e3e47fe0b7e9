import type {
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObject,
  KubernetesObjectApi,
  V1Secret,
} from "@kubernetes/client-node";
import {
  applyObject,
  isNotFound,
  patchStatus,
  statusChanged,
  type CachedReader,
  type CustomResourceType,
  type KindRef,
  type ObjectKey,
  type ObservedResource,
  type StatusWithConditions,
} from "../../kube/index.js";
import type { Logger } from "@hugr/common";
import type { ObjectMeta } from "../../api/v1alpha1/index.js";

/** The finalizer of HugrDataSource and HugrObjectStorage: their state on the nodes and in the core database. */
export const FINALIZER = "hugr.io/cleanup";

/** The kind of a custom resource, as the caches name it. */
export const kindOf = (type: CustomResourceType): KindRef => ({
  apiVersion: `${type.group}/${type.version}`,
  plural: type.plural,
});

const SECRETS: KindRef = { apiVersion: "v1", plural: "secrets" };

/**
 * A namespaced custom resource read from the API, not from a cache; undefined when it does not
 * exist. For a read-modify-write on the write path, which must start from the latest object.
 */
export async function readResource<T>(
  api: CustomObjectsApi,
  type: CustomResourceType,
  key: { namespace: string; name: string },
): Promise<T | undefined> {
  try {
    return (await api.getNamespacedCustomObject({ ...type, ...key })) as T;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * A Secret, from the caches when one holds it (the Secrets the operator renders, and those labelled
 * hugr.io/reload=true), else from the API: a user's unlabelled Secret is in no cache, because
 * caching every Secret of the cluster would hold all of them in the operator's memory
 * (controller-manager/watches.ts). Undefined when it does not exist.
 */
export async function readSecret(
  cache: CachedReader,
  core: CoreV1Api,
  key: ObjectKey,
): Promise<V1Secret | undefined> {
  const cached = cache.find<V1Secret>(SECRETS, key);
  if (cached) return cached;
  try {
    return await core.readNamespacedSecret(key);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** The decoded value of one key of a Secret: undefined when the Secret is absent, "" when the key is. */
export async function readSecretValue(
  cache: CachedReader,
  core: CoreV1Api,
  ref: ObjectKey & { key: string },
): Promise<string | undefined> {
  const secret = await readSecret(cache, core, { namespace: ref.namespace, name: ref.name });
  if (!secret) return undefined;
  const encoded = secret.data?.[ref.key];
  return encoded === undefined ? "" : Buffer.from(encoded, "base64").toString("utf8");
}

/** Where {@link patchStatusAndWait} writes, and the cache it waits on. */
export interface StatusTarget {
  api: CustomObjectsApi;
  cache: CachedReader;
  type: CustomResourceType;
  /** Told when the write did not come back in time. */
  logger: Logger;
}

/**
 * How long a reconcile waits for the watch to bring back its status write. Milliseconds normally;
 * the bound matters only while the watch is broken (the informer restarts it, and its relist
 * resolves the wait).
 */
const STATUS_ECHO_TIMEOUT_MS = 5_000;

/**
 * patchStatus, then a wait until the cache holds the status written (the watch's echo of the write),
 * so that the next reconcile of the resource decides from it. patchStatus compares with the status
 * the reconcile read, and status-only updates wake no controller (controller-manager/predicates.ts):
 * a reconcile reading the status from before the write, that computed that older status again,
 * would skip its write and leave the newer, wrong one standing until the next resync. Resolves true
 * when it wrote.
 */
export async function patchStatusAndWait<S extends StatusWithConditions>(
  target: StatusTarget,
  observed: ObservedResource<S>,
  desired: S,
): Promise<boolean> {
  const { api, cache, type } = target;
  if (!(await patchStatus(api, type, observed, desired))) return false;
  const key = { namespace: observed.metadata?.namespace ?? "", name: observed.metadata?.name ?? "" };
  const echo = await cache.waitFor<KubernetesObject & { status?: S }>(
    kindOf(type),
    key,
    (current) => current === undefined || !statusChanged(current.status, desired),
    STATUS_ECHO_TIMEOUT_MS,
  );
  if (!echo.met) {
    target.logger.warn(
      { kind: type.kind, ...key, waitedMs: STATUS_ECHO_TIMEOUT_MS },
      "the status written is not in the cache yet; going on",
    );
  }
  return true;
}

/**
 * Sets (present) or drops (absent) the operator's finalizer with a server-side apply of
 * metadata.finalizers alone: the list is a set, so other controllers' finalizers are untouched.
 * Never adds one to an object being deleted (the apiserver would refuse, and it would never go).
 */
export async function setFinalizer(
  objects: KubernetesObjectApi,
  type: CustomResourceType,
  resource: { metadata: ObjectMeta },
  present: boolean,
): Promise<void> {
  const has = resource.metadata.finalizers?.includes(FINALIZER) ?? false;
  if (has === present || (present && resource.metadata.deletionTimestamp)) return;
  await applyObject(objects, {
    apiVersion: `${type.group}/${type.version}`,
    kind: type.kind,
    metadata: {
      name: resource.metadata.name,
      namespace: resource.metadata.namespace,
      finalizers: present ? [FINALIZER] : [],
    },
  });
}
