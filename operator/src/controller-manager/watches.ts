import type { KubernetesObject } from "@kubernetes/client-node";
import {
  GROUP,
  HUGR_CLUSTER_RESOURCE,
  HUGR_DATA_SOURCE_RESOURCE,
  HUGR_OBJECT_STORAGE_RESOURCE,
  type HugrCluster,
  type HugrDataSource,
  type HugrObjectStorage,
  type ResourceType,
} from "../api/v1alpha1/index.js";
import { referencedSecretNames } from "../controllers/cluster/index.js";
import { clusterKeyOf } from "../controllers/common/index.js";
import type { CollectionRef } from "../kube/index.js";

/** The kinds a HugrCluster owns, watched so that drift (an edit, a deletion) is corrected at once. */
export const OWNED_KINDS: readonly CollectionRef[] = [
  { apiVersion: "apps/v1", plural: "deployments" },
  { apiVersion: "v1", plural: "services" },
  { apiVersion: "v1", plural: "configmaps" },
  { apiVersion: "v1", plural: "secrets" },
  { apiVersion: "autoscaling/v2", plural: "horizontalpodautoscalers" },
  { apiVersion: "policy/v1", plural: "poddisruptionbudgets" },
];

/** The collection of every namespace (or one) of a kind of ours. */
const collectionOf = (type: ResourceType): CollectionRef => ({
  apiVersion: `${type.group}/${type.version}`,
  plural: type.plural,
});
export const HUGR_CLUSTERS = collectionOf(HUGR_CLUSTER_RESOURCE);
export const HUGR_DATA_SOURCES = collectionOf(HUGR_DATA_SOURCE_RESOURCE);
export const HUGR_OBJECT_STORAGES = collectionOf(HUGR_OBJECT_STORAGE_RESOURCE);

/**
 * Secrets with this label are watched, and a change re-reconciles every HugrCluster that references
 * them (a rotated core database password reaches the workers at once). Label the Secrets you
 * reference; others are re-read at every resync. Watching all Secrets would cache every Secret of the
 * cluster in the operator's memory. (CloudNativePG asks the same with its cnpg.io/reload label.)
 */
export const RELOAD_LABEL = "hugr.io/reload";
export const RELOAD_SELECTOR = `${RELOAD_LABEL}=true`;
export const SECRETS: CollectionRef = { apiVersion: "v1", plural: "secrets" };

/** Only the objects the operator rendered: the label selector keeps the caches small. */
export const OWNED_SELECTOR = "app.kubernetes.io/managed-by=hugr-operator,app.kubernetes.io/name=hugr-worker";

/** The work-queue key of an object: "namespace/name". */
export function keyOf(obj: { metadata?: { namespace?: string; name?: string } }): string {
  return `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;
}

/**
 * The HugrCluster that owns a rendered object, as a work-queue key: its controller owner reference
 * of kind HugrCluster (the instance label could be copied onto anything; the owner cannot).
 */
export function ownerKey(obj: KubernetesObject): string | undefined {
  const owner = obj.metadata?.ownerReferences?.find(
    (ref) => ref.controller === true && ref.kind === "HugrCluster" && ref.apiVersion.startsWith(`${GROUP}/`),
  );
  return owner ? `${obj.metadata?.namespace ?? ""}/${owner.name}` : undefined;
}

/** One collection per watched namespace, or one cluster-wide when none is named. */
export function perNamespace(ref: CollectionRef, namespaces: readonly string[]): CollectionRef[] {
  return namespaces.length === 0 ? [ref] : namespaces.map((namespace) => ({ ...ref, namespace }));
}

/** The keys of the resources, among `served`, that belong to the cluster `clusterKey`. */
export function servedBy(
  clusterKey: string,
  served: readonly (HugrDataSource | HugrObjectStorage)[],
): string[] {
  return served.filter((r) => clusterKeyOf(r) === clusterKey).map(keyOf);
}

/** The keys of the data sources and storages, among `served`, that read the Secret `secret`. */
export function servedReferencing(
  secret: KubernetesObject,
  served: readonly (HugrDataSource | HugrObjectStorage)[],
): string[] {
  const { namespace, name } = secret.metadata ?? {};
  return served.filter((r) => r.metadata.namespace === namespace && secretOf(r) === name).map(keyOf);
}

function secretOf(resource: HugrDataSource | HugrObjectStorage): string | undefined {
  return "credentialsSecretRef" in resource.spec
    ? resource.spec.credentialsSecretRef.name
    : resource.spec.pathSecretRef?.name;
}

/** The keys of the HugrClusters, among `clusters`, that reference the Secret `secret`. */
export function clustersReferencing(secret: KubernetesObject, clusters: readonly HugrCluster[]): string[] {
  const namespace = secret.metadata?.namespace;
  const name = secret.metadata?.name ?? "";
  return clusters
    .filter((c) => c.metadata.namespace === namespace && referencedSecretNames(c).includes(name))
    .map((c) => `${c.metadata.namespace}/${c.metadata.name}`);
}
