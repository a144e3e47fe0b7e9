import type { HugrCluster } from "../../../api/v1alpha1/index.js";

/**
 * Names, labels and fixed values shared by every object a HugrCluster renders. Object names derive
 * from the cluster's name only, so a rendered object can always be found again from its owner; the
 * CRD caps that name (HUGR_CLUSTER_NAME_MAX_LENGTH) so `<name>-headless` stays a DNS label.
 */

/** The port every worker listens on (BIND) and every Service exposes, named "http". */
export const WORKER_PORT = 15000;
/** Name of the worker's port in the pod template and the Services. */
export const PORT_NAME = "http";
/** Where the worker keeps embedded state (HUGR_DATA_DIR), an emptyDir in the pod. */
export const DATA_DIR = "/var/lib/hugr";

export const LABEL_NAME = "app.kubernetes.io/name";
export const LABEL_INSTANCE = "app.kubernetes.io/instance";
export const LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
export const LABEL_PART_OF = "app.kubernetes.io/part-of";
export const LABEL_COMPONENT = "app.kubernetes.io/component";

const WORKER_APP = "hugr-worker";
const MANAGER = "hugr-operator";
const PART_OF = "hugr";
const WORKER_COMPONENT = "worker";

/** Key of the value in the generated cluster Secret (`<name>-cluster-secret`). */
export const CLUSTER_SECRET_KEY = "cluster-secret";

/** The cluster's name; objects cannot be rendered for a HugrCluster the apiserver has not named. */
export function clusterName(cluster: HugrCluster): string {
  const name = cluster.metadata.name;
  if (!name) throw new Error("HugrCluster has no metadata.name");
  return name;
}

/** The cluster's namespace, which every rendered object shares. */
export function clusterNamespace(cluster: HugrCluster): string {
  const namespace = cluster.metadata.namespace;
  if (!namespace) throw new Error(`HugrCluster '${clusterName(cluster)}' has no metadata.namespace`);
  return namespace;
}

/** Labels on every object the operator renders for this cluster. */
export function workerLabels(cluster: HugrCluster): Record<string, string> {
  return {
    [LABEL_NAME]: WORKER_APP,
    [LABEL_INSTANCE]: clusterName(cluster),
    [LABEL_MANAGED_BY]: MANAGER,
    [LABEL_PART_OF]: PART_OF,
  };
}

/** Labels of the worker pods: the object labels plus the component. */
export function podLabels(cluster: HugrCluster): Record<string, string> {
  return { ...workerLabels(cluster), [LABEL_COMPONENT]: WORKER_COMPONENT };
}

/**
 * The labels that select this cluster's worker pods. Only name and instance: a Deployment's selector
 * is immutable, so it must never grow with labels we might add later.
 */
export function selectorLabels(cluster: HugrCluster): Record<string, string> {
  return { [LABEL_NAME]: WORKER_APP, [LABEL_INSTANCE]: clusterName(cluster) };
}

/** selectorLabels as a label-selector string with sorted keys, for status.selector (scale subresource). */
export function selectorString(cluster: HugrCluster): string {
  return Object.entries(selectorLabels(cluster))
    .sort(([a], [b]) => compareStrings(a, b))
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
}

/** Name of the Secret the operator generates when spec.clusterSecretRef is unset. */
export function clusterSecretName(cluster: HugrCluster): string {
  return `${clusterName(cluster)}-cluster-secret`;
}

/** Name of the worker ConfigMap and of the worker Secret (they share it). */
export function workerConfigName(cluster: HugrCluster): string {
  return `${clusterName(cluster)}-worker`;
}

/** Name of the headless Service that lists every worker pod, ready or not. */
export function headlessServiceName(cluster: HugrCluster): string {
  return `${clusterName(cluster)}-headless`;
}

/** Code-unit order: deterministic, unlike localeCompare. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
