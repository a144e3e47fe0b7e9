import type { CoreV1Api, CustomObjectsApi, KubernetesObjectApi, V1Secret } from "@kubernetes/client-node";
import { applyObject, isNotFound, type CustomResourceType } from "../../kube/index.js";
import type { ObjectMeta } from "../../api/v1alpha1/index.js";

/** The finalizer of HugrDataSource and HugrObjectStorage: their state on the nodes and in the core database. */
export const FINALIZER = "hugr.io/cleanup";

/** A namespaced custom resource read raw; undefined when it does not exist. */
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

/** The decoded value of one key of a Secret: undefined when the Secret is absent, "" when the key is. */
export async function readSecretValue(
  core: CoreV1Api,
  ref: { namespace: string; name: string; key: string },
): Promise<string | undefined> {
  let secret: V1Secret;
  try {
    secret = await core.readNamespacedSecret({ namespace: ref.namespace, name: ref.name });
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  const encoded = secret.data?.[ref.key];
  return encoded === undefined ? "" : Buffer.from(encoded, "base64").toString("utf8");
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
